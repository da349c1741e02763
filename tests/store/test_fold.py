"""The store contract's folding: tags and words match whatever the case, in every script."""

from __future__ import annotations

from pochta.store import Envelope, Store

ENVELOPE = Envelope("app@example.com", ("user@example.com",))


def tagged(subject: str, tags: str, body: str = "hi") -> bytes:
    return (
        f"From: a@example.com\r\nTo: b@example.com\r\nSubject: {subject}\r\n"
        f"X-Tags: {tags}\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
        f"\r\n{body}\r\n"
    ).encode()


def found(store: Store, query: str) -> list[str]:
    return [summary.subject for summary in store.search(query).messages]


def test_tags_match_without_case_in_every_script(store: Store) -> None:
    store.add(tagged("one", "Тест, Über"), ENVELOPE)
    store.add(tagged("two", "тест"), ENVELOPE)
    store.flush()
    for query in ("tag:Тест", "tag:тест", "tag:ТЕСТ"):
        assert found(store, query) == ["two", "one"], query
    for query in ("tag:über", "tag:ÜBER", "tag:Über"):
        assert found(store, query) == ["one"], query
    assert found(store, "-tag:тест") == []
    # Listing keeps a spelling of the tag's own: folding is for matching only.
    assert store.tags() == ["Über", "Тест"] or store.tags() == ["Über", "тест"]
    assert sorted(store.info().tags.values()) == [1, 2]


def test_a_tag_is_on_a_message_once_whatever_its_case(store: Store) -> None:
    id = store.add(tagged("one", "Ёлка, ёлка, ЁЛКА, Über, über"), ENVELOPE)
    assert store.summary(id).tags == ("Über", "Ёлка")
    store.set_tags([id], ["Тест", "тест", "ТЕСТ"])
    assert store.summary(id).tags == ("Тест",)
    store.rename_tag("ТЕСТ", "Проверка")
    assert (store.summary(id).tags, found(store, "tag:проверка")) == (("Проверка",), ["one"])
    store.delete_tag("ПРОВЕРКА")
    assert store.summary(id).tags == ()


def test_words_match_without_case_and_with_e_for_yo(store: Store) -> None:
    store.add(tagged("Ёлка", "", "Привет, МИР! Straße in Łódź."), ENVELOPE)
    store.add(tagged("другое", "", "Ничего общего."), ENVELOPE)
    store.flush()
    for query in ("ёлка", "елка", "ЁЛКА", "ЕЛКА", "Ёлка", "ел", "привет", "ПРИВЕТ", "мир"):
        assert found(store, query) == ["Ёлка"], query
    for query in ("strasse", "STRAßE", "lodz", "łódź", '"привет мир"', "-ничего"):
        assert found(store, query) == ["Ёлка"], query
    assert found(store, "елка -мир") == []
