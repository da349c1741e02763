"""A message's records as every store keeps them: its :class:`Summary` and its search text.

Both are built from a parse (:func:`~pochta.message.parse.parse_message`, or
:func:`~pochta.message.headline.read_headline` before a commit) and the
:class:`~pochta.message.envelope.Envelope`; each store only turns them into
its own rows and SQL (:mod:`pochta.store.sqlite.row` for SQLite).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from pochta.message.envelope import Envelope
from pochta.message.link import html_text
from pochta.message.parse import parse_message
from pochta.message.record import Address, Checksums, ParsedMessage, Part
from pochta.store.fold import fold
from pochta.store.record import Summary
from pochta.store.tag import clean_tags, plus_tags

__all__ = [
    "COMPLETE_LISTED_BELOW",
    "MAX_BODY",
    "SearchText",
    "complete_summary",
    "listed_summary",
    "parse_with_checksums",
    "search_text",
    "summarise",
    "with_checksums",
]

MAX_BODY = 256 * 1024  # characters of body text indexed per message
# Characters compared while leaving out HTML lines the text part has (a few ms at most).
_DEDUPLICATION_BUDGET = 16 * 1024 * 1024
#: A row the indexer has not reached yet is listed with a summary completed from
#: its bytes below this size (a few milliseconds); from it on, with what its
#: headers said: a full parse on every list of a 68 MB message took 1.2 GB (issue 11).
COMPLETE_LISTED_BELOW = 256 * 1024


@dataclass(frozen=True, slots=True)
class SearchText:
    """What the word search of a store reads for one message, field by field."""

    subject: str
    addresses: str
    body: str
    files: str


def summarise(
    id: str, parsed: ParsedMessage, envelope: Envelope, created: datetime, read: bool = False
) -> Summary:
    """Make the Summary of a freshly parsed message.

    Bcc gains the hidden recipients (envelope recipients not in To or Cc);
    tags are the ``X-Tags`` header's and those of plus-addressed recipients.
    """
    shown = {a.address.lower() for a in (*parsed.to, *parsed.cc, *parsed.bcc)}
    hidden = [Address("", r) for r in dict.fromkeys(envelope.rcpt_tos) if r.lower() not in shown]
    bcc = (*parsed.bcc, *hidden)
    return Summary(
        id=id,
        message_id=parsed.message_id,
        read=read,
        from_=parsed.from_,
        to=parsed.to,
        cc=parsed.cc,
        bcc=bcc,
        reply_to=parsed.reply_to,
        subject=parsed.subject,
        created=created,
        date=parsed.date,
        size=parsed.size,
        snippet=parsed.snippet,
        attachments=len(parsed.attachments),
        tags=clean_tags((*parsed.tags, *plus_tags((*parsed.to, *parsed.cc, *bcc)))),
        envelope=envelope,
        parse_problem=parsed.problem,
    )


def complete_summary(
    summary: Summary, raw: bytes, *, checksums: bool = False, links: bool = False
) -> tuple[Summary, ParsedMessage]:
    """Return the full summary of a message committed with a header-only one, and the parse.

    Id, arrival time, read flag, envelope and tags stay those of ``summary``;
    ``checksums=True`` computes the checksums of the parse's files (the indexer
    stores them), ``links=True`` reads the links too (the parse ``Store.parsed`` gives).
    """
    parsed = parse_message(raw, links=links, checksums=checksums)
    full = summarise(summary.id, parsed, summary.envelope, summary.created, summary.read)
    return dataclasses.replace(full, tags=summary.tags), parsed


def listed_summary(summary: Summary, read_raw: Callable[[], bytes | None]) -> Summary:
    """Return the summary to list for a row not indexed yet (see COMPLETE_LISTED_BELOW).

    ``read_raw`` reads the row's bytes, only when they are to be parsed.
    """
    if summary.size >= COMPLETE_LISTED_BELOW:
        return summary
    raw = read_raw()
    return summary if raw is None else complete_summary(summary, raw)[0]


def with_checksums(
    parsed: ParsedMessage, stored: Mapping[str, tuple[int, Checksums]]
) -> ParsedMessage:
    """Return ``parsed`` with its files' sizes and checksums as a store kept them.

    Files without stored checksums keep what ``parsed`` has (maybe None).
    """

    def fill(part: Part) -> Part:
        size, sums = stored.get(part.part_id, (part.size, part.checksums))
        return dataclasses.replace(part, size=size, checksums=sums)

    return dataclasses.replace(
        parsed,
        parts=tuple(fill(p) if p.part_id in stored else p for p in parsed.parts),
        attachments=tuple(fill(p) for p in parsed.attachments),
        inline=tuple(fill(p) for p in parsed.inline),
    )


def parse_with_checksums(raw: bytes, stored: Mapping[str, tuple[int, Checksums]]) -> ParsedMessage:
    """Return the full parse of ``raw`` with its files' checksums: ``stored``'s, else computed.

    ``stored`` is what a store's indexer kept ({part id: (size, checksums)});
    a file it lacks (a message not indexed yet, or stored before) is hashed here.
    """
    parsed = with_checksums(parse_message(raw, checksums=not stored), stored)
    if any(p.checksums is None for p in (*parsed.attachments, *parsed.inline)):
        parsed = parse_message(raw, checksums=True)  # stored for some files only
    return parsed


def search_text(parsed: ParsedMessage, summary: Summary) -> SearchText:
    """Return the search text of a message: subject, names and addresses, body, file names.

    The body is the text part and what the HTML part shows beyond it (see :func:`_body`).
    """
    sender = (summary.from_,) if summary.from_ else ()
    mailboxes = (*sender, *summary.to, *summary.cc, *summary.bcc, *summary.reply_to)
    body = _body(parsed.text[:MAX_BODY], parsed.html[:MAX_BODY])
    files = " ".join(p.filename for p in (*parsed.attachments, *parsed.inline) if p.filename)
    return SearchText(
        subject=summary.subject,
        addresses=" ".join(f"{a.name} {a.address}" for a in mailboxes),
        body=body[:MAX_BODY],
        files=files,
    )


def _body(text: str, html: str) -> str:
    """Return the text part, then each line of the HTML's visible text that it lacks.

    A line is lacking when its words, folded (:func:`~pochta.store.fold.fold`),
    are not a run of the text part's words: the HTML of a text+HTML message
    usually says what the text says, wrapped otherwise, and is not indexed twice.
    Scripts, styles and the head are no visible text (:func:`html_text`).
    """
    if not html.strip():
        return text
    seen = f" {fold(text)} "
    budget = _DEDUPLICATION_BUDGET
    lines = []
    for line in dict.fromkeys(html_text(html).splitlines()):
        folded = fold(line)
        if not folded:
            continue
        budget -= len(seen)
        # Past the budget (a huge text and thousands of lines), lines are kept unchecked.
        if budget < 0 or f" {folded} " not in seen:
            lines.append(line.strip())
    return "\n".join(filter(None, (text, *lines)))
