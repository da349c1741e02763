"""The store contract's search: each term of the query language against a fixed set of messages."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pochta.exceptions import QueryError
from pochta.message.parse import parse_message
from pochta.store import Envelope, Store, open_store
from pochta.store.summary import search_text, summarise
from tests.kind import StoreKind
from tests.store.conftest import StoreOpener

ENVELOPE = Envelope("app@example.com", ("user@example.com",))
PDF = (
    "--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    '--b\r\nContent-Type: application/pdf; name="invoice-77.pdf"\r\n'
    "Content-Disposition: attachment\r\nContent-Transfer-Encoding: base64\r\n\r\n"
    "JVBERi0xLjQ=\r\n--b--\r\n"
)
LOGO = (
    "--b\r\nContent-Type: text/html\r\n\r\n<p>{body}</p>\r\n"
    "--b\r\nContent-Type: image/png\r\nContent-ID: <logo@x>\r\n"
    "Content-Disposition: inline\r\nContent-Transfer-Encoding: base64\r\n\r\n"
    "iVBORw0KGgo=\r\n--b--\r\n"
)
# subject -> (extra headers, body); stored in this order, so "welcome" is the newest.
FIXTURES = {
    "password-reset": (
        "From: Accounts <accounts@shop.example>\r\nTo: Alice Liddell <alice@example.com>\r\n"
        "Message-ID: <reset-1@shop.example>\r\n",
        "Follow the link to choose a new password.",
    ),
    "Invoice 77": (
        "From: billing@shop.example\r\nTo: bob@example.com\r\nCc: Carol <carol@example.com>\r\n"
        'Content-Type: multipart/mixed; boundary="b"\r\nX-Tags: billing, urgent\r\n',
        PDF.format(body="Your invoice is attached. Café crème total."),
    ),
    "Newsletter": (
        "From: news@letters.example\r\nTo: dave+weekly@example.com\r\n"
        "Reply-To: Editor <editor@letters.example>\r\n"
        'Content-Type: multipart/related; boundary="b"\r\n',
        LOGO.format(body="Weekly digest with a logo"),
    ),
    "welcome": (
        "From: Team <team@shop.example>\r\nTo: erin@example.com\r\nBcc: boss@example.com\r\n",
        "Welcome aboard, resetting nothing.",
    ),
}


def raw_message(subject: str) -> bytes:
    headers, body = FIXTURES[subject]
    return f"{headers}Subject: {subject}\r\nMIME-Version: 1.0\r\n\r\n{body}\r\n".encode()


@pytest.fixture(scope="module")
def store(store_kind: StoreKind, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    location = store_kind.location(tmp_path_factory.mktemp("search"))
    with open_store(location) as store:
        ids = [store.add(raw_message(subject), ENVELOPE) for subject in FIXTURES]
        store.set_read([ids[0]], True)
        # Stored at known moments: a day apart, ending 2026-03-04 12:00 UTC.
        for days, id in enumerate(reversed(ids)):
            moment = datetime(2026, 3, 4, 12, tzinfo=UTC) - timedelta(days=days)
            store_kind.set_created(location, id, moment)
        yield store


def found(store: Store, query: str, **options: object) -> list[str]:
    page = store.search(query, **options)  # type: ignore[arg-type]
    return [summary.subject for summary in page.messages]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["welcome", "Newsletter", "Invoice 77", "password-reset"]),
        ("reset", ["welcome", "password-reset"]),  # word starts: "resetting", "password-reset"
        ("set", []),  # not inside a word
        ('"new password"', ["password-reset"]),
        ('"password new"', []),
        ("INVOICE", ["Invoice 77"]),
        ("cafe", ["Invoice 77"]),  # diacritics ignored
        ("invoice-77.pdf", ["Invoice 77"]),  # attachment file names
        ("digest", ["Newsletter"]),  # the HTML's text when there is no text part
        ("liddell", ["password-reset"]),  # names and addresses are words too
        ("from:accounts", ["password-reset"]),
        ("from:SHOP.EXAMPLE", ["welcome", "Invoice 77", "password-reset"]),
        ("to:alice nothing", []),  # two terms, both must hold
        ('to:"alice liddell <alice@"', ["password-reset"]),
        ("cc:carol", ["Invoice 77"]),
        ("bcc:boss", ["welcome"]),
        ("bcc:user@example.com", ["welcome", "Newsletter", "Invoice 77", "password-reset"]),
        ("reply-to:editor", ["Newsletter"]),
        ("addressed:carol", ["Invoice 77"]),
        ("addressed:dave+weekly", ["Newsletter"]),
        ("subject:voice", ["Invoice 77"]),
        ("subject:WEL", ["welcome"]),
        ("message-id:reset-1@shop.example", ["password-reset"]),
        ("message-id:<RESET-1@shop.example>", ["password-reset"]),
        ("message-id:reset-1", []),
        ("tag:billing", ["Invoice 77"]),
        ("tag:URGENT", ["Invoice 77"]),
        ("tag:weekly", ["Newsletter"]),  # plus-addressing
        ("tag:bill", []),
        ("is:read", ["password-reset"]),
        ("is:unread", ["welcome", "Newsletter", "Invoice 77"]),
        ("is:tagged", ["Newsletter", "Invoice 77"]),
        ("has:attachment", ["Invoice 77"]),
        ("has:inline", ["Newsletter"]),
        ("after:2026-03-02", ["welcome", "Newsletter", "Invoice 77"]),
        ("before:2026-03-02", ["password-reset"]),
        ("after:2026-03-02T12:00 before:2026-03-04", ["Newsletter"]),
        ("larger:439", ["Invoice 77"]),  # inclusive: Invoice 77 is 439 bytes
        ("larger:440", []),
        ("smaller:204", ["welcome", "password-reset"]),
        ("-reset", ["Newsletter", "Invoice 77"]),
        ("reset -welcome", ["password-reset"]),
        ("shop -reset -invoice", []),
        ("shop -reset is:unread", ["Invoice 77"]),
        ("!from:shop.example", ["Newsletter"]),
        ("-is:tagged -is:read", ["welcome"]),
        ("-has:attachment shop", ["welcome", "password-reset"]),
        ("+", ["Newsletter"]),  # no letters: a substring of subject or addresses
        ("foo:bar", []),
    ],
)
def test_each_term(store: Store, query: str, expected: list[str]) -> None:
    assert found(store, query) == expected


def test_counts_and_paging(store: Store) -> None:
    page = store.search("from:shop.example", start=1, limit=1)
    assert (page.total, page.unread, page.matched, page.matched_unread, page.start) == (
        4,
        3,
        3,
        2,
        1,
    )
    assert [s.subject for s in page.messages] == ["Invoice 77"]
    assert found(store, "from:shop.example", start=3) == []


@pytest.mark.parametrize("read", [1, 3])
def test_unread_counts_of_word_searches(open_test_store: StoreOpener, read: int) -> None:
    store = open_test_store()
    ids = [store.add(raw_message(subject), ENVELOPE) for subject in FIXTURES]
    store.set_read(ids[:read], True)  # password-reset first, then the others
    counts = [
        (page.matched, page.matched_unread, [s.subject for s in page.messages])
        for page in (store.search("shop", start=1), store.search("shop is:unread"))
    ]
    unread_shop = 3 - read if read < 3 else 1
    assert counts[0] == (3, unread_shop, ["Invoice 77", "password-reset"])
    assert counts[1][:2] == (unread_shop, unread_shop)


def test_dates_without_a_zone_are_in_tz(store: Store) -> None:
    # Newsletter was stored 2026-03-03 12:00 UTC, which is 2026-03-04 00:30 at +12:30.
    plus = timezone(timedelta(hours=12, minutes=30))
    assert found(store, "after:2026-03-04", tz=plus) == ["welcome", "Newsletter"]
    assert found(store, "after:2026-03-04") == ["welcome"]
    assert found(store, "after:2026-03-03T12:00", tz=UTC) == ["welcome"]
    assert found(store, "after:2026-03-03T11:59") == ["welcome", "Newsletter"]


def test_search_ids_lists_every_match(store: Store) -> None:
    ids = store.search_ids("is:unread")
    assert [store.summary(id).subject for id in ids] == ["welcome", "Newsletter", "Invoice 77"]


def test_bad_queries_raise_query_error(store: Store) -> None:
    for text in ("is:starred", "larger:huge", "before:someday"):
        with pytest.raises(QueryError):
            store.search(text)


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet=st.sampled_from("ab -!:\"*^()+.@<>%_\\'\x00é€" + "fromtisgh"), max_size=30)
)
def test_search_never_fails_otherwise(store: Store, text: str) -> None:
    try:
        page = store.search(text)
    except QueryError:
        return
    assert page.matched == len(page.messages)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=20))
def test_search_survives_any_text(store: Store, text: str) -> None:
    try:
        store.search(text)
        store.search_ids(text)
    except QueryError:
        pass


ALTERNATIVE = (
    "From: a@example.com\r\nTo: b@example.com\r\nSubject: offer\r\nMIME-Version: 1.0\r\n"
    'Content-Type: multipart/alternative; boundary="b"\r\n\r\n'
    "--b\r\nContent-Type: text/plain\r\n\r\nYour weekly offer.\r\n"
    "--b\r\nContent-Type: text/html\r\n\r\n<html><head><style>.promo { color: red }</style>"
    "<script>trackingpixel()</script></head><body><p>Your weekly offer.</p>"
    "<p>Use coupon <b>SPRING24</b> at checkout.</p></body></html>\r\n--b--\r\n"
)


def test_words_only_in_the_html_part_are_found(open_test_store: StoreOpener) -> None:
    store = open_test_store()
    id = store.add(ALTERNATIVE.encode(), ENVELOPE)
    store.flush()
    for query in ("coupon", "spring24", '"coupon spring24 at"', "weekly offer"):
        assert found(store, query) == ["offer"], query
    # Scripts and styles are no text a reader sees; the text part's words are not doubled.
    assert [found(store, q) for q in ("trackingpixel", "promo", "color")] == [[], [], []]
    assert store.summary(id).snippet == "Your weekly offer."


def test_the_search_text_adds_only_what_the_html_part_has_more() -> None:
    parsed = parse_message(ALTERNATIVE.encode())
    text = search_text(parsed, summarise("id", parsed, ENVELOPE, datetime.now(UTC)))
    assert text.body.split() == [
        "Your",
        "weekly",
        "offer.",
        "Use",
        "coupon",
        "SPRING24",
        "at",
        "checkout.",
    ]
