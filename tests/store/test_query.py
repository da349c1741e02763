from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pochta.exceptions import QueryError
from pochta.store.query import Query, Term, parse_query


def test_words_and_phrases_are_text_terms() -> None:
    query = parse_query('Invoice  "Password   Reset" ')

    assert query == Query((Term("text", "invoice"), Term("text", "password reset")))


def test_every_address_and_text_prefix() -> None:
    query = parse_query(
        "from:Alice to:bob@x.org cc:c bcc:d reply-to:e addressed:f "
        'subject:"Your code" message-id:abc@h tag:Signup'
    )

    assert query.terms == (
        Term("from", "alice"),
        Term("to", "bob@x.org"),
        Term("cc", "c"),
        Term("bcc", "d"),
        Term("reply-to", "e"),
        Term("addressed", "f"),
        Term("subject", "your code"),
        Term("message-id", "abc@h"),
        Term("tag", "signup"),
    )


def test_flags_accept_mailpit_spellings() -> None:
    query = parse_query("is:read is:Unread is:tagged has:attachments has:inline")

    assert [term.value for term in query.terms] == [
        "read",
        "unread",
        "tagged",
        "attachment",
        "inline",
    ]


def test_negation_with_dash_or_bang() -> None:
    query = parse_query('-spam !from:bot@x "-literal"')

    assert query.terms == (
        Term("text", "spam", negated=True),
        Term("from", "bot@x", negated=True),
        Term("text", "-literal"),
    )


def test_dates_in_the_given_time_zone() -> None:
    plus3 = timezone(timedelta(hours=3))

    query = parse_query("after:2026-01-01 before:2026/01/31T18:30", tz=plus3)

    assert query.terms == (
        Term("after", datetime(2026, 1, 1, tzinfo=plus3)),
        Term("before", datetime(2026, 1, 31, 18, 30, tzinfo=plus3)),
    )


def test_today_and_yesterday() -> None:
    query = parse_query("after:yesterday before:today", today=date(2026, 3, 2))

    assert query.terms == (
        Term("after", datetime(2026, 3, 1, tzinfo=UTC)),
        Term("before", datetime(2026, 3, 2, tzinfo=UTC)),
    )


def test_sizes_in_powers_of_1024() -> None:
    query = parse_query("larger:1M smaller:2.5k larger:100")

    assert [term.value for term in query.terms] == [1024**2, 2560, 100]


def test_unknown_prefixes_and_urls_are_plain_text() -> None:
    query = parse_query("foo:Bar https://example.com/reset re:")

    assert query.terms == (
        Term("text", "foo:bar"),
        Term("text", "https://example.com/reset"),
        Term("text", "re:"),
    )


def test_unterminated_quote_runs_to_the_end() -> None:
    assert parse_query('subject:"hello wor').terms == (Term("subject", "hello wor"),)


def test_empty_text_is_an_empty_query() -> None:
    assert not parse_query("   ")
    assert parse_query("from: -") == Query()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("is:flagged", "unknown flag is:'flagged'; use one of is:read, is:tagged, is:unread"),
        ("has:pdf", "unknown flag has:'pdf'; use one of has:attachment, has:inline"),
        ("larger:big", "larger:'big' is not a size; write it like larger:250K or 1.5M"),
        ("larger:" + "9" * 400, f"larger:'{'9' * 400}' is larger than any message can be"),
        ("smaller:5T", "smaller:'5T' is not a size; write it like smaller:250K or 1.5M"),
        (
            "before:31.01.2026",
            "before:'31.01.2026' is not a date; write it like before:2026-01-31 "
            "or before:2026-01-31T18:30",
        ),
    ],
)
def test_bad_values_name_the_term_and_the_fix(text: str, message: str) -> None:
    with pytest.raises(QueryError) as caught:
        parse_query(text)

    assert str(caught.value) == message


@given(st.text())
def test_any_text_gives_a_query_or_a_query_error(text: str) -> None:
    try:
        query = parse_query(text)
    except QueryError:
        return
    assert all(term.value != "" for term in query.terms)
