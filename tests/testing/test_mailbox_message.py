"""pick_link() and pick_code(): one link or code out of a message, or an error that shows them."""

from __future__ import annotations

import re

import pytest

from pochta.exceptions import MailAssertionError
from pochta.testing.message import DEFAULT_CODE, pick_code, pick_link

LINKS = [
    "https://shop.example/reset/MQ/c4t-2f1/",
    "https://shop.example/account/",
    "https://shop.example/reset/MQ/c4t-2f1/",
    "mailto:help@shop.example",
]


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("/reset/", "https://shop.example/reset/MQ/c4t-2f1/"),
        (r"/reset/\w+/", "https://shop.example/reset/MQ/c4t-2f1/"),
        (re.compile(r"account/$"), "https://shop.example/account/"),
        ("mailto:", "mailto:help@shop.example"),
        ("help@shop.example", "mailto:help@shop.example"),
    ],
)
def test_a_link_is_picked_by_substring_or_regular_expression(
    pattern: str | re.Pattern[str], expected: str
) -> None:
    assert pick_link(LINKS, pattern, "message 'Reset'") == expected


def test_a_pattern_that_is_not_a_regular_expression_still_matches_as_text() -> None:
    links = ["https://a.example/?next=(home", "https://a.example/"]

    assert pick_link(links, "?next=(", "m") == "https://a.example/?next=(home"


def test_no_matching_link_lists_the_links_there_are() -> None:
    with pytest.raises(MailAssertionError) as caught:
        pick_link(LINKS, "/confirm/", "message 'Reset'")

    assert str(caught.value) == (
        "no link in message 'Reset' matches '/confirm/'; its links:\n"
        "  https://shop.example/reset/MQ/c4t-2f1/\n"
        "  https://shop.example/account/\n"
        "  https://shop.example/reset/MQ/c4t-2f1/\n"
        "  mailto:help@shop.example"
    )


def test_several_matching_links_are_listed_with_the_fix() -> None:
    with pytest.raises(MailAssertionError) as caught:
        pick_link(LINKS, "shop.example/", "message 'Reset'")

    assert str(caught.value) == (
        "2 links in message 'Reset' match 'shop.example/'; give a pattern that picks one:\n"
        "  https://shop.example/reset/MQ/c4t-2f1/\n"
        "  https://shop.example/account/"
    )


def test_a_message_without_links_says_so() -> None:
    with pytest.raises(MailAssertionError, match=r"its links: \(none\)$"):
        pick_link([], "/reset/", "message 'Hi'")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Your code is 123456.", "123456"),
        ("Код: 4821\nВведите его на сайте.", "4821"),
        ("Your code is 123456. Again: 123456.", "123456"),
        ("Code 778899, see https://x.example/verify/12345678/?t=1234", "778899"),
    ],
)
def test_the_one_code_is_found_and_digits_in_links_do_not_count(text: str, expected: str) -> None:
    assert pick_code(text, DEFAULT_CODE, "m") == expected


def test_a_pattern_with_a_group_returns_the_group() -> None:
    text = "Order 20261121 confirmed. Your code: AB12CD (valid 10 minutes)."

    assert pick_code(text, r"code: ([A-Z0-9]{6})", "m") == "AB12CD"


def test_several_codes_are_an_error_that_shows_them_and_the_fix() -> None:
    with pytest.raises(MailAssertionError) as caught:
        pick_code("Order 20261121: your code is 4821.", DEFAULT_CODE, "message 'Sign in'")

    assert str(caught.value) == (
        r"2 different codes in message 'Sign in' match '\b\d{4,8}\b': 20261121, 4821; "
        r"give a pattern with the words around the code, e.g. r'code is (\d+)'"
    )


def test_no_code_is_an_error_that_shows_the_text() -> None:
    with pytest.raises(MailAssertionError) as caught:
        pick_code("Welcome aboard!\n  See https://x.example/1234567", DEFAULT_CODE, "message 'Hi'")

    assert str(caught.value) == (
        r"no code matching '\b\d{4,8}\b' in message 'Hi'; its text begins: 'Welcome aboard! See'"
    )
