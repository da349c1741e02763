"""Run Django's email examples under pochta.mail or under Django, and report what happened.

``python -m tests.mail.example_runner SIDE`` with SIDE:

* ``pochta``: only the import lines change (``django.core.mail`` ->
  ``pochta.mail``, ``django.core`` -> ``pochta``); pochta.mail is configured;
* ``django``: the code runs unchanged in a configured Django 6.1, with
  pochta's backends as ``MAILERS`` (``override_settings`` per example);
* ``django-own``: the same, with Django's own backends: what Django does.

Each prints one JSON object:
for every example, the value of its last expression (or the error), the
outbox (pochta's locmem backend is the one both use), the SMTP envelopes a
recording aiosmtpd server got and over how many connections, and the headers
of the messages the example built.
"""

from __future__ import annotations

import ast
import contextlib
import json
import sys
from collections.abc import Iterator
from typing import Any

from tests.mail.django_examples import ERRORS, EXAMPLES, Example
from tests.mail.smtp_peer import SMTPServer, start_server

IMPORTS = (
    ("from django.core.mail import ", "from pochta.mail import "),
    ("from django.core import mail", "from pochta import mail"),
)
HEADERS = ("Subject", "From", "To", "Cc", "Reply-To", "Message-ID", "Content-Type")
KINDS = (KeyError, ValueError, TypeError, AttributeError, RuntimeError)


def rewrite_imports(code: str) -> str:
    """Change the import lines only, as a user moving from Django to pochta would."""
    lines = []
    for line in code.splitlines():
        for django, pochta in IMPORTS:
            if line.startswith(django):
                line = pochta + line[len(django) :]
        lines.append(line)
    return "\n".join(lines)


def mailers_for(example: Example, server: SMTPServer, own: bool = False) -> dict[str, Any]:
    """The example's MAILERS, its recording-SMTP entries pointed at ``server``.

    ``own`` swaps pochta's backends for Django's of the same name.
    """
    options = {"host": server.host, "port": server.port, "timeout": 5}
    mailers = {}
    for alias, entry in example.mailers.items():
        entry = dict(entry)
        if entry.get("OPTIONS") == {"smtp": True}:
            entry["OPTIONS"] = options
        if own and "BACKEND" in entry:
            entry["BACKEND"] = entry["BACKEND"].replace("pochta.mail.", "django.core.mail.")
        mailers[alias] = entry
    return mailers


def describe(value: Any) -> Any:
    """A JSON view of an example's result (a backend by its class and alias)."""
    if value is None or isinstance(value, int | str | float | bool):
        return value
    if isinstance(value, tuple | list):
        return [describe(item) for item in value]
    if hasattr(value, "send_messages"):
        # pochta.mail.backends.smtp and django.core.mail.backends.smtp both read "smtp".
        module = type(value).__module__.rpartition(".")[2]
        return {"backend": f"{module}.{type(value).__name__}", "alias": value.alias}
    return repr(value)


def describe_error(error: BaseException) -> dict[str, Any]:
    kinds = [kind.__name__ for kind in KINDS if isinstance(error, kind)]
    improperly = sys.modules.get("django.core.exceptions")
    if improperly is not None and isinstance(error, improperly.ImproperlyConfigured):
        kinds.append("ImproperlyConfigured")
    text = error.args[0] if isinstance(error, KeyError) and error.args else str(error)
    return {"type": type(error).__name__, "kinds": kinds, "message": str(text)}


def execute(code: str, namespace: dict[str, Any]) -> Any:
    """Run ``code``; return the value of its last statement if that is an expression."""
    tree = ast.parse(code)
    last = tree.body[-1] if tree.body else None
    if isinstance(last, ast.Expr):
        tree.body.pop()
    exec(compile(tree, "<example>", "exec"), namespace)
    if not isinstance(last, ast.Expr):
        return None
    return eval(compile(ast.Expression(last.value), "<example>", "eval"), namespace)


def messages_built(namespace: dict[str, Any]) -> dict[str, Any]:
    """Headers and recipients of every message object the example left in its names."""
    built = {}
    for name, value in sorted(namespace.items()):
        if hasattr(value, "recipients") and hasattr(value, "message") and not name.startswith("_"):
            with contextlib.suppress(Exception):
                msg = value.message()
                built[name] = {
                    "headers": {h: header(msg, h) for h in HEADERS if msg[h] is not None},
                    "recipients": [str(r) for r in value.recipients()],
                }
    return built


def header(msg: Any, name: str) -> str:
    """A header's value; a generated Message-ID reads ``<generated>`` (it is random)."""
    value = str(msg[name])
    return "<generated>" if name == "Message-ID" and value.startswith("<") else value


def report(example: Example, server: SMTPServer, run: Any, mail: Any) -> dict[str, Any]:
    """Run one example through ``run(code, namespace)`` and describe what it did.

    ``mail`` is the module whose ``outbox`` the locmem backend fills.
    """
    mail.outbox = []
    server.envelopes.clear()
    server.handler.peers.clear()
    namespace: dict[str, Any] = {}
    outcome: dict[str, Any] = {}
    try:
        if example.prelude:
            run(example.prelude, namespace)
        result = run(example.code, namespace)
        if example.postlude:
            result = run(example.postlude, namespace)
        outcome["result"] = describe(result)
    except Exception as error:
        outcome["error"] = describe_error(error)
    outcome["outbox"] = [
        {
            "subject": str(m.subject),
            "from": str(m.from_email),
            "to": [str(a) for a in m.to],
            "bcc": list(m.bcc),
            "reply_to": list(m.reply_to),
            "sent_using": m.sent_using,
            "alternatives": [mimetype for _, mimetype in getattr(m, "alternatives", [])],
            "content_subtype": m.content_subtype,
        }
        for m in mail.outbox
    ]
    outcome["smtp"] = [[e.mail_from, e.rcpt_tos] for e in server.envelopes]
    outcome["connections"] = len(set(server.handler.peers))
    outcome["built"] = messages_built(namespace)
    return outcome


@contextlib.contextmanager
def pochta_side(example: Example, server: SMTPServer) -> Iterator[Any]:
    import pochta.mail

    pochta.mail.reset()
    pochta.mail.configure(MAILERS=mailers_for(example, server), **example.settings)
    yield lambda code, namespace: execute(rewrite_imports(code), namespace)


@contextlib.contextmanager
def django_side(example: Example, server: SMTPServer, own: bool) -> Iterator[Any]:
    from django.test import override_settings

    with override_settings(MAILERS=mailers_for(example, server, own), **example.settings):
        yield execute


def side_runner(side: str) -> tuple[Any, Any]:
    """Return ``(make_context(example, server), outbox module)`` for ``side``."""
    # Loaded on every side, so pochta's configuration errors show as ImproperlyConfigured.
    import django.core.exceptions

    if side == "pochta":
        import pochta.mail

        return pochta_side, pochta.mail
    from django.conf import settings

    import django

    settings.configure(MAILERS={}, DEFAULT_FROM_EMAIL="webmaster@localhost")
    django.setup()
    from django.core import mail

    import pochta.mail

    own = side == "django-own"
    return (lambda e, s: django_side(e, s, own)), mail if own else pochta.mail


def main(side: str) -> None:
    """Run every example on ``side`` (see the module docstring); print the reports as JSON."""
    context, mail = side_runner(side)
    controller, server = start_server()
    reports = {}
    try:
        groups = (("example", EXAMPLES, ""), ("error", ERRORS, "from django.core import mail"))
        for kind, examples, imports in groups:
            for name, example in examples.items():
                if imports:
                    example = Example(
                        example.source, example.code, example.mailers, example.settings, imports
                    )
                with context(example, server) as run:
                    reports[f"{kind}: {name}"] = report(example, server, run, mail)
    finally:
        controller.stop()
    print(json.dumps(reports, ensure_ascii=False, sort_keys=True))


if __name__ == "__main__":
    main(sys.argv[1])
