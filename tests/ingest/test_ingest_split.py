"""split_log: messages written the way Django's file backend writes them come back whole."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from pochta.ingest import split_log

SEPARATOR = b"-" * 79

# Bodies of printable lines, some of them a line of 79 dashes, some "Name: value".
_text = st.text(st.characters(codec="ascii", exclude_characters="\r\n"))
_line = st.one_of(st.just(SEPARATOR.decode()), _text, _text.map(lambda t: "X-Note: " + t))
_body = st.lists(_line, max_size=6).map("\n".join)


def written(bodies: list[str]) -> tuple[bytes, list[bytes]]:
    """Return a log as Django writes it, and the messages in it."""
    messages = [f"Subject: {n}\nFrom: a@example.com\n\n{b}".encode() for n, b in enumerate(bodies)]
    return b"".join(m + b"\n" + SEPARATOR + b"\n" for m in messages), messages


@given(st.lists(_body, max_size=5))
def test_every_message_comes_back_whole(bodies: list[str]) -> None:
    log, messages = written(bodies)
    found, consumed = split_log(log, final=False)
    assert [raw for _, raw in found] == messages
    assert consumed == len(log)


@given(st.lists(_body, min_size=1, max_size=4), st.integers(min_value=0, max_value=10_000))
def test_a_log_cut_anywhere_gives_only_whole_messages(bodies: list[str], cut: int) -> None:
    log, messages = written(bodies)
    cut = min(cut, len(log))
    found, consumed = split_log(log[:cut], final=False, at_rest=False)
    raws = [raw for _, raw in found]
    assert raws == messages[: len(raws)]
    rest, _ = split_log(log[consumed:], final=False)
    assert raws + [raw for _, raw in rest] == messages


def test_crlf_logs_and_the_tail_without_separator() -> None:
    log = b"Subject: one\r\n\r\nbody\r\n" + SEPARATOR + b"\r\nSubject: two\r\n\r\nunfinished"
    assert split_log(log, final=False) == ([(0, b"Subject: one\r\n\r\nbody")], 103)
    found, consumed = split_log(log, final=True)
    assert [raw for _, raw in found] == [
        b"Subject: one\r\n\r\nbody",
        b"Subject: two\r\n\r\nunfinished",
    ]
    assert consumed == len(log)


def test_a_body_line_of_dashes_stays_in_its_message() -> None:
    bodies = [
        b"Thanks\n" + SEPARATOR + b"\nNote: a colon here\nand plain text",
        SEPARATOR + b"\n0:",
        SEPARATOR + b"\nX-Like: a header\nX-Too: but no known name\n\nstill the body",
    ]
    messages = [b"Subject: s\n\n" + body for body in bodies]
    log = b"".join(m + b"\n" + SEPARATOR + b"\n" for m in messages)
    assert [raw for _, raw in split_log(log, final=True)[0]] == messages


def test_a_half_written_next_header_is_waited_for() -> None:
    first = b"Subject: one\n\nbody"
    log = first + b"\n" + SEPARATOR + b"\nContent-Type: text/plain\nSubj"
    assert split_log(log, final=False) == ([], 0)
    log += b"ect: two\n\nbody two\n" + SEPARATOR + b"\n"
    assert [raw for _, raw in split_log(log, final=False)[0]] == [
        first,
        b"Content-Type: text/plain\nSubject: two\n\nbody two",
    ]
