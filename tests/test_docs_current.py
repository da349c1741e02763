"""The docs describe what exists: nothing shipped is announced as coming, every backend listed.

A sentence that announces something as future ("arrives with a coming
change", "until then", "will be added") fails this test when what it names
already exists: a flag of a ``pochta`` command, a ``pochta <command>``, a
dotted path under ``pochta``, or one of ``pochta.mail``'s backends.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

import click
from click.testing import CliRunner

import pochta.mail.backends
from pochta.cli import main

ROOT = Path(__file__).resolve().parent.parent
PAGES = sorted([ROOT / "README.md", ROOT / "CONTRIBUTING.md", *(ROOT / "docs").glob("*.md")])
FUTURE = re.compile(
    r"\barrives? with\b|\bcoming (?:pochta )?change\b|\bnext (?:pochta )?(?:change|release)\b"
    r"|\buntil then\b|\bwill (?:be )?(?:added|arrive|come|land|supported|available)\b"
    r"|\bnot (?:yet )?(?:implemented|available|supported) yet\b|\bnot implemented yet\b"
    r"|\b(?:later|future) (?:change|release|version)\b|\bis planned\b|\bare planned\b",
    re.IGNORECASE,
)
BACKENDS = sorted(
    info.name
    for info in pkgutil.iter_modules(pochta.mail.backends.__path__)
    if info.name not in ("base",)
)


def commands(group: click.Group = main, prefix: str = "pochta") -> dict[str, click.Command]:
    """Return every command of the ``pochta`` group by its full name (``pochta serve``)."""
    found: dict[str, click.Command] = {}
    context = click.Context(group)
    for name in group.list_commands(context):  # the group imports its commands lazily
        command = group.get_command(context, name)
        assert command is not None
        found[f"{prefix} {name}"] = command
        if isinstance(command, click.Group):
            found |= commands(command, f"{prefix} {name}")
    return found


def existing_flags() -> set[str]:
    """Return every ``--flag`` any ``pochta`` command's ``--help`` shows."""
    flags: set[str] = set()
    for name in commands():
        result = CliRunner().invoke(main, [*name.split()[1:], "--help"])
        flags |= set(re.findall(r"--[a-z][a-z0-9-]*", result.output))
    return flags


def exists(dotted: str) -> bool:
    """Tell whether ``dotted`` names a module of pochta or an attribute of one."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            module = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        target: object = module
        for attribute in parts[cut:]:
            if not hasattr(target, attribute):
                return False
            target = getattr(target, attribute)
        return True
    return False


def named_things(sentence: str, flags: set[str]) -> list[str]:
    """Return what ``sentence`` names that exists today."""
    found = [flag for flag in re.findall(r"--[a-z][a-z0-9-]*", sentence) if flag in flags]
    found += [c for c in commands() if re.search(rf"`{re.escape(c)}\b", sentence)]
    found += [d for d in re.findall(r"\bpochta(?:\.\w+)+", sentence) if exists(d)]
    found += [
        f"the {word} backend"
        for word in re.findall(r"\b(\w+) (?:email )?backend\b", sentence, re.IGNORECASE)
        if word.lower() in BACKENDS
    ]
    return found


def sentences(text: str) -> list[tuple[int, str]]:
    """Return (line number, sentence) for each sentence of ``text``, code blocks left out."""
    prose = re.sub(r"```.*?```", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.DOTALL)
    found = []
    for match in re.finditer(r"\s*([^.!?;]+(?:[.!?;]|$))", prose):
        line = prose.count("\n", 0, match.start(1)) + 1
        found.append((line, " ".join(match.group(1).split())))
    return found


def test_no_page_announces_as_coming_what_exists() -> None:
    flags = existing_flags()
    stale = []
    for page in PAGES:
        for line, sentence in sentences(page.read_text(encoding="utf-8")):
            if FUTURE.search(sentence) and (names := named_things(sentence, flags)):
                stale.append(f"{page.relative_to(ROOT)}:{line}: {', '.join(names)}: {sentence}")

    assert stale == [], "these sentences announce as coming what already exists"


def test_the_future_check_catches_an_announcement() -> None:
    flags = existing_flags()
    text = "Import as it is written (`--watch` arrives with a coming pochta change)."

    assert [named_things(s, flags) for _, s in sentences(text) if FUTURE.search(s)] == [
        ["--watch"]
    ]


def test_the_mail_docs_list_every_backend() -> None:
    table = (ROOT / "docs" / "mail.md").read_text(encoding="utf-8")

    missing = [b for b in BACKENDS if f"`pochta.mail.backends.{b}.EmailBackend`" not in table]

    assert "store" in BACKENDS
    assert missing == []
