"""The words of the PostgreSQL store's full-text search, folded the same way on both sides.

Text is folded by :func:`pochta.store.fold.fold` before PostgreSQL sees it,
for the indexed messages and for the searched words alike (case in every
script, accents, ``ё`` as ``е``, separators). PostgreSQL's ``simple``
configuration then only splits at the spaces. Doing it there, not in a
text-search dictionary, gives the same answers on any PostgreSQL: no
extension to install, no dependence on the database's locale.
"""

from __future__ import annotations

from pochta.store.fold import fold

__all__ = ["CONFIG", "fold", "phrase_query", "words"]

#: The text-search configuration of the index and of every query.
CONFIG = "simple"


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
