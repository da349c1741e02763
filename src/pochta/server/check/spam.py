"""The spam check: a message scored by a real SpamAssassin ``spamd``, over the spamc protocol.

``--enable-spamassassin HOST:PORT`` names the spamd. Each check sends
``REPORT SPAMC/1.5`` with the raw message, half-closes, and reads the verdict
(the ``Spam: True ; 1000.0 / 5.0`` header) and the report table of the rules
that fired; the whole exchange has :data:`TIMEOUT` seconds. The answer has
Mailpit's shape and rules: scores floored to one decimal, and a spamd that
cannot be reached is still HTTP 200, with ``Error`` saying why and ``Rules`` null::

    {"IsSpam": true, "Error": "", "Score": 1000.0,
     "Rules": [{"Score": 1000.0, "Name": "GTUBE", "Description": "BODY: Generic Test..."}]}

``IsSpam`` is spamd's own verdict (its ``required_score``, 5.0 by default).
Results are kept per message (a message never changes), so the inbox can show
a score it already knows without asking spamd again.
"""

from __future__ import annotations

import asyncio
import math
import re
from collections import OrderedDict
from dataclasses import dataclass

from pochta.config import HostPort
from pochta.server.api.shape import JSON

__all__ = ["KEPT", "TIMEOUT", "SpamAssassin", "SpamResult", "SpamRule", "parse_reply"]

#: Seconds for one whole exchange with spamd (Mailpit's 8).
TIMEOUT = 8.0
#: Results kept in memory.
KEPT = 1000
_REPLY_LIMIT = 1024 * 1024
_STATUS = re.compile(rb"SPAMD/\d+\.\d+ (\d+) (.*)")
_VERDICT = re.compile(r"(True|False|Yes|No) ; (-?[\d.]+) / (-?[\d.]+)", re.IGNORECASE)
_RULE = re.compile(r"\s*(-?\d+(?:\.\d+)?)\s+([A-Z0-9_]+)\s+(.*)")


@dataclass(frozen=True, slots=True)
class SpamRule:
    """One SpamAssassin rule that fired."""

    score: float
    name: str
    description: str


@dataclass(frozen=True, slots=True)
class SpamResult:
    """Mailpit's ``SpamAssassinResponse``: the verdict, the score and the rules (None on error)."""

    is_spam: bool
    error: str
    score: float
    rules: tuple[SpamRule, ...] | None

    def json(self) -> JSON:
        """Return the result in Mailpit's field order."""
        rules = None
        if self.rules is not None:
            rules = [
                {"Score": r.score, "Name": r.name, "Description": r.description}
                for r in self.rules
            ]
        return {"IsSpam": self.is_spam, "Error": self.error, "Score": self.score, "Rules": rules}


def _floor(value: float) -> float:
    return math.floor(value * 10) / 10


def _failed(error: str) -> SpamResult:
    return SpamResult(False, error, 0.0, None)


def parse_reply(reply: bytes) -> SpamResult:
    """Read spamd's answer to ``REPORT``: status line, headers, then the report table."""
    head, _, body = reply.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = _STATUS.fullmatch(lines[0].strip())
    if status is None:
        return _failed(f"spamd answered something else than SPAMD/1.x: {lines[0][:80]!r}")
    if status[1] != b"0":
        return _failed(f"spamd refused the message: {status[2].decode('latin-1')}")
    verdict = None
    for line in lines[1:]:
        name, _, value = line.decode("latin-1").partition(":")
        if name.strip().lower() == "spam":
            verdict = _VERDICT.search(value)
    if verdict is None:
        return _failed("spamd's answer had no Spam: header")
    is_spam = verdict[1].lower() in ("true", "yes")
    rules = _rules(body.decode("utf-8", "replace"))
    return SpamResult(is_spam, "", _floor(float(verdict[2])), rules)


def _rules(report: str) -> tuple[SpamRule, ...]:
    rules: list[SpamRule] = []
    lines = report.splitlines()
    start = next((i + 1 for i, line in enumerate(lines) if line.startswith("----")), len(lines))
    for line in lines[start:]:
        match = _RULE.fullmatch(line)
        if match is not None:
            rules.append(SpamRule(_floor(float(match[1])), match[2], match[3].strip()))
        elif line.strip() and line[:1].isspace() and rules:  # a description that wraps
            last = rules[-1]
            text = f"{last.description} {line.strip()}"
            rules[-1] = SpamRule(last.score, last.name, text)
    return tuple(rules)


class SpamAssassin:
    """A client of one spamd, with the results of the messages it checked."""

    def __init__(self, address: HostPort, *, timeout: float = TIMEOUT) -> None:
        self.address = address
        self.timeout = timeout
        self._kept: OrderedDict[str, SpamResult] = OrderedDict()

    def known(self, message_id: str) -> SpamResult | None:
        """Return the result of a message checked before, or None."""
        return self._kept.get(message_id)

    async def check(self, message_id: str, raw: bytes) -> SpamResult:
        """Score ``raw`` (kept under ``message_id``); a failure is a result with ``error``."""
        known = self.known(message_id)
        if known is not None:
            return known
        request = b"REPORT SPAMC/1.5\r\nContent-length: %d\r\n\r\n" % len(raw) + raw
        try:
            reply = await asyncio.wait_for(self._exchange(request), self.timeout)
        except TimeoutError:
            return _failed(f"spamd at {self.address} did not answer within {self.timeout:g} s")
        except OSError as error:
            return _failed(
                f"cannot reach spamd at {self.address}: {error.strerror or error}; is it "
                f"running? (--enable-spamassassin)"
            )
        result = parse_reply(reply)
        if not result.error:
            self._kept[message_id] = result
            while len(self._kept) > KEPT:
                self._kept.popitem(last=False)
        return result

    async def _exchange(self, request: bytes) -> bytes:
        reader, writer = await asyncio.open_connection(self.address.host, self.address.port)
        try:
            writer.write(request)
            await writer.drain()
            writer.write_eof()
            reply = await reader.read(_REPLY_LIMIT)
            while chunk := await reader.read(_REPLY_LIMIT):
                if len(reply) < _REPLY_LIMIT:
                    reply += chunk
            return reply
        finally:
            writer.close()
