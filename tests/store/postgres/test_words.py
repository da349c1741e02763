"""The words of the PostgreSQL store's search: case in every script, accents, separators."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pochta.store.postgres.words import fold, phrase_query, words


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("ЁЛКА Über STRASSE", "елка uber strasse"),
        ("Straße", "strasse"),
        ("Łódź café naïve", "lodz cafe naive"),
        ("ΑΘΉΝΑ", "αθηνα"),
        ("password-reset, alice@example.com", "password reset alice example com"),
        ("under_score x+y", "under score x y"),
        ("東京タワー", "東京タワー"),
        ("  ---  ", ""),
    ],
)
def test_fold_folds_case_accents_and_separators(text: str, folded: str) -> None:
    assert fold(text) == folded


def test_phrase_query_makes_the_last_word_a_prefix() -> None:
    assert phrase_query("Password Reset") == "'password' <-> 'reset':*"
    assert phrase_query("ёлка") == "'елка':*"
    assert phrase_query("+++") is None


@given(st.text())
def test_words_are_plain_and_fold_to_themselves(text: str) -> None:
    found = words(text)
    assert all(word and "'" not in word and " " not in word for word in found)
    assert words(" ".join(found)) == found
