"""Which IP addresses the link check may never reach: internal and special-use ones.

A link in a captured message is written by whoever sent it. Followed blindly,
``http://127.0.0.1:8025/api/v1/...`` or ``http://169.254.169.254/`` would make
the catcher fetch from the machine or network it runs in (server-side request
forgery: Mailpit's GHSA-mpf7-p9x7-96r3, GHSA-j3fj-qppj-fmmc and
GHSA-w4mc-hhc6-xp28). :func:`is_internal` refuses a superset of Mailpit's list:

* every address Python's :mod:`ipaddress` does not call global (loopback,
  private, link-local with cloud metadata, CGNAT ``100.64.0.0/10``,
  ``0.0.0.0/8``, ``192.0.0.0/24``, the documentation ranges, benchmarking
  ``198.18.0.0/15``, ``240.0.0.0/4``, broadcast, ``fc00::/7``, ``fe80::/10``,
  ``2001:db8::/32``, discard-only ``100::/64``, ...), and every multicast or
  reserved one;
* ``fec0::/10`` (deprecated site-local, which Python calls global);
* an IPv6 address that carries an IPv4 one is judged by the IPv4 inside:
  IPv4-mapped ``::ffff:0:0/96``, IPv4-compatible ``::/96``, NAT64
  ``64:ff9b::/96``, 6to4 ``2002::/16``, Teredo ``2001::/32`` (the client,
  bits inverted) and ISATAP (``…:0:5efe:a.b.c.d``); the local-use NAT64 prefix
  ``64:ff9b:1::/48`` is refused whole.
"""

from __future__ import annotations

import ipaddress
from ipaddress import IPv4Address, IPv6Address, ip_network

__all__ = ["embedded_ipv4", "is_internal"]

IPAddress = IPv4Address | IPv6Address

_ALWAYS_INTERNAL = tuple(
    ip_network(n)
    for n in (
        "0.0.0.0/8",
        "100.64.0.0/10",
        "198.18.0.0/15",
        "240.0.0.0/4",
        "fec0::/10",
        "64:ff9b:1::/48",
        "2001:db8::/32",
    )
)
_NAT64 = ip_network("64:ff9b::/96")
_COMPATIBLE = ip_network("::/96")
_ISATAP_IDS = (0x00005EFE, 0x02005EFE)
_TRANSLATING = tuple(
    ip_network(n) for n in ("::ffff:0:0/96", "::/96", "64:ff9b::/96", "2002::/16", "2001::/32")
)


def embedded_ipv4(address: IPv6Address) -> IPv4Address | None:
    """Return the IPv4 address an IPv6 transition address carries, or None."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    value = int(address)
    if address in _NAT64 or (address in _COMPATIBLE and value > 1):
        return IPv4Address(value & 0xFFFFFFFF)
    if (value >> 32) & 0xFFFFFFFF in _ISATAP_IDS:
        return IPv4Address(value & 0xFFFFFFFF)
    return None


def is_internal(address: IPAddress | str) -> bool:
    """Tell whether ``address`` is one the link check must not connect to (see above)."""
    if isinstance(address, str):
        address = ipaddress.ip_address(address.split("%", 1)[0])
    if any(
        address in network for network in _ALWAYS_INTERNAL if network.version == address.version
    ):
        return True
    if isinstance(address, IPv6Address):
        inner = embedded_ipv4(address)
        if inner is not None and is_internal(inner):
            return True
        if inner is not None and any(address in network for network in _TRANSLATING):
            return False  # a fixed prefix that only carries the IPv4 address: judged by it
    # ISATAP keeps its own /64 prefix, so a link-local one is refused here.
    return not address.is_global or address.is_multicast or address.is_reserved
