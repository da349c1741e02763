"""The words of the PostgreSQL store's full-text search, folded the same way on both sides.

Text is folded by pochta before PostgreSQL sees it, for the indexed
messages and for the searched words alike: case is folded in every script
(``str.casefold``: ``ЁЛКА`` is ``ёлка``, ``STRASSE`` is ``straße``),
accents of Latin, Greek and Cyrillic letters are dropped (``Über`` is
``uber``, ``ёлка`` is ``елка``, ``Łódź`` is ``lodz``), and everything but
letters and digits separates words (``password-reset`` is two words, as in
the SQLite store's FTS5 index). PostgreSQL's ``simple`` configuration then
only splits at the spaces. Doing it here, not in a text-search dictionary,
gives the same answers on any PostgreSQL: no extension to install, no
dependence on the database's locale.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["CONFIG", "fold", "phrase_query", "words"]

#: The text-search configuration of the index and of every query.
CONFIG = "simple"
_SEPARATORS = re.compile(r"[\W_]+")
# Letters whose accent is no combining mark, so decomposition keeps it.
_PLAIN = {"ł": "l", "ø": "o", "đ": "d", "ħ": "h", "ı": "i", "ŧ": "t", "ƀ": "b", "ɨ": "i"}


def _accentless() -> dict[int, str]:
    """Map each accented Latin, Greek or Cyrillic letter to its base letters."""
    table: dict[int, str] = {ord(k): v for k, v in _PLAIN.items()}
    for low, high in ((0x00C0, 0x024F), (0x0370, 0x03FF), (0x0400, 0x04FF), (0x1E00, 0x1FFF)):
        for point in range(low, high + 1):
            letter = chr(point)
            base = "".join(
                c for c in unicodedata.normalize("NFD", letter) if not unicodedata.combining(c)
            )
            if base and base != letter:
                table[point] = base
    return table


_ACCENTLESS = _accentless()


def fold(text: str) -> str:
    """Return ``text`` case-folded, without accents, its words separated by single spaces."""
    # casefold first: it may produce letters with accents of their own (e.g. "ǰ").
    plain = text.casefold().translate(_ACCENTLESS).casefold()
    return _SEPARATORS.sub(" ", plain).strip()


def words(text: str) -> list[str]:
    """Return the folded words of ``text``."""
    folded = fold(text)
    return folded.split(" ") if folded else []


def phrase_query(text: str) -> str | None:
    """Return the ``tsquery`` text of a word or phrase, its last word a prefix; None if no word.

    ``Password Reset`` becomes ``'password' <-> 'reset':*``: the words in
    order, the last one the start of a word (as FTS5's ``"..."*``).
    """
    found = words(text)
    if not found:
        return None
    quoted = [f"'{word}'" for word in found]
    quoted[-1] += ":*"
    return " <-> ".join(quoted)
