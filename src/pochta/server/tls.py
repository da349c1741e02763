"""TLS for ``pochta serve``: load a certificate, or make a self-signed one that lasts.

Without a certificate pochta makes one on first start (an ECDSA P-256 key,
valid for localhost, 127.0.0.1 and ::1 for ten years) and saves it next to
the store, so clients that pinned it keep working across restarts.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import ssl
from pathlib import Path

from pochta.exceptions import ConfigurationError

__all__ = [
    "CERT_NAME",
    "KEY_NAME",
    "create_self_signed",
    "load_or_create_tls_context",
    "ui_tls_files",
]

CERT_NAME = "pochta-tls-cert.pem"
"""File name of the self-signed certificate inside the state folder."""
KEY_NAME = "pochta-tls-key.pem"
"""File name of its private key (mode 0600) inside the state folder."""

_VALID_FOR = datetime.timedelta(days=3650)


def load_or_create_tls_context(
    cert: Path | None, key: Path | None, state_dir: Path
) -> ssl.SSLContext:
    """Return a server-side SSLContext (TLS 1.2 or newer) for STARTTLS.

    With ``cert`` and ``key`` those files are used; with neither, the
    self-signed pair in ``state_dir`` is used, made first if missing.
    Giving only one of them, or files that do not load, is a
    :class:`~pochta.exceptions.ConfigurationError`.
    """
    if (cert is None) != (key is None):
        raise ConfigurationError(
            "TLS needs both a certificate and its key; give both files or neither "
            "(pochta then makes a self-signed pair)"
        )
    if cert is None or key is None:
        cert, key = state_dir / CERT_NAME, state_dir / KEY_NAME
        if not (cert.exists() and key.exists()):
            create_self_signed(cert, key)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(cert, key)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigurationError(
            f"TLS certificate '{cert}' with key '{key}' cannot be loaded ({exc}); "
            "give a PEM certificate and its matching private key"
        ) from None
    return context


def create_self_signed(cert: Path, key: Path, *, hostname: str = "localhost") -> None:
    """Write a new self-signed certificate and its private key as PEM files."""
    # cryptography takes a tenth of a second to import: only a new pair needs it.
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    private_key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname)])
    now = datetime.datetime.now(datetime.UTC)
    names: list[x509.GeneralName] = [
        x509.DNSName(hostname),
        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
        x509.IPAddress(ipaddress.ip_address("::1")),
    ]
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + _VALID_FOR)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(private_key, hashes.SHA256())
    )
    key_pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    try:
        cert.parent.mkdir(parents=True, exist_ok=True)
        _write_private(key, key_pem)
        cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    except OSError as exc:
        raise ConfigurationError(
            f"cannot write the self-signed TLS certificate to '{cert.parent}' ({exc}); "
            "give a writable folder or your own certificate and key"
        ) from None


def _write_private(path: Path, data: bytes) -> None:
    # Created 0600 from the start, never readable by others even for a moment.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as file:
        file.write(data)


def ui_tls_files(cert: Path | None, key: Path | None) -> tuple[str | None, str | None]:
    """Return the files of ``--ui-tls-cert``/``--ui-tls-key`` once they load (None: no TLS).

    Raises :class:`~pochta.exceptions.ConfigurationError` naming both when they do not load.
    """
    if cert is None or key is None:
        return None, None
    try:
        ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(cert, key)
    except (OSError, ssl.SSLError) as error:
        raise ConfigurationError(
            f"--ui-tls-cert {cert} / --ui-tls-key {key} do not load ({error}); give a PEM "
            f"certificate and its private key"
        ) from None
    return str(cert), str(key)
