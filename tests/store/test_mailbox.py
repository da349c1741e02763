"""Choosing a message's mailbox: the SMTP login, recipient rules, their templates, the default."""

from __future__ import annotations

import pytest

from pochta.exceptions import ConfigurationError
from pochta.store import Envelope
from pochta.store.mailbox import MailboxRule, Routing, check_mailbox, mailbox_name_of


def envelope(*recipients: str, login: str | None = None) -> Envelope:
    return Envelope("app@example.com", recipients, auth_user=login)


RULES = Routing(
    (
        MailboxRule.parse("ci-*@example.test=ci"),
        MailboxRule.parse("dev+*@example.test={plus}"),
        MailboxRule.parse("*@people.test={local}"),
    )
)


@pytest.mark.parametrize(
    ("recipients", "mailbox"),
    [
        (("ci-build-7@example.test",), "ci"),
        (("CI-Nightly@Example.TEST",), "ci"),
        (("dev+Alice@example.test",), "alice"),
        (("dev@example.test",), "default"),
        (("Bob.Smith+news@people.test",), "bob.smith"),
        (("someone@else.test", "ci-1@example.test"), "ci"),
        (("someone@else.test",), "default"),
    ],
)
def test_rules_choose_the_mailbox_of_the_first_that_applies(
    recipients: tuple[str, ...], mailbox: str
) -> None:
    assert RULES.mailbox_for(envelope(*recipients)) == mailbox


def test_the_login_wins_when_routing_by_login() -> None:
    routing = Routing(RULES.rules, by_login=True)
    assert routing.mailbox_for(envelope("ci-1@example.test", login="Alice")) == "alice"
    assert routing.mailbox_for(envelope("ci-1@example.test")) == "ci"
    assert RULES.mailbox_for(envelope("x@y.test", login="alice")) == "default"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("ci-*@example.test", "is not PATTERN=MAILBOX"),
        ("=ci", "is not PATTERN=MAILBOX"),
        ("*@x.test=Not Valid!", "is no mailbox name"),
        ("*@x.test={name}", "is no mailbox name"),
    ],
)
def test_a_malformed_rule_says_how_to_write_one(text: str, problem: str) -> None:
    with pytest.raises(ConfigurationError, match=problem):
        MailboxRule.parse(text)


def test_names_are_url_path_segments() -> None:
    assert mailbox_name_of("Alice@Example.com") == "alice@example.com"
    assert mailbox_name_of("a b/c") == "a-b-c"
    assert mailbox_name_of("../etc") is None
    with pytest.raises(ConfigurationError, match="is not 1 to 128"):
        check_mailbox("..")
