"""The console backend: readable messages on a stream, 79 dashes between them."""

from __future__ import annotations

import io
import threading

import pytest

from pochta.exceptions import BadHeaderError
from pochta.mail import EmailMessage, configure, send_mail
from pochta.mail.backends import console

CONSOLE = "pochta.mail.backends.console.EmailBackend"

SEPARATOR = "-" * 79


def test_message_is_written_with_django_5_shape() -> None:
    stream = io.StringIO()
    connection = console.EmailBackend(stream=stream)
    message = EmailMessage("Another Beatles member", "Ринго Старр!", "a@x.com", ["b@x.com"])

    assert connection.send_messages([message]) == 1

    head, body = stream.getvalue().split("\n\n", 1)
    assert [line.split(":")[0] for line in head.splitlines()] == [
        "Content-Type",
        "MIME-Version",
        "Content-Transfer-Encoding",
        "Subject",
        "From",
        "To",
        "Date",
        "Message-ID",
    ]
    assert head.splitlines()[:6] == [
        'Content-Type: text/plain; charset="utf-8"',
        "MIME-Version: 1.0",
        "Content-Transfer-Encoding: 8bit",
        "Subject: Another Beatles member",
        "From: a@x.com",
        "To: b@x.com",
    ]
    assert body == f"Ринго Старр!\n\n{SEPARATOR}\n"


def test_long_reset_link_appears_whole() -> None:
    link = "http://127.0.0.1:8000/auth/reset/MQ/" + "c8k2m4-" * 17 + "/"
    assert len(link) > 150
    stream = io.StringIO()
    configure(MAILERS={"default": {"BACKEND": CONSOLE, "OPTIONS": {"stream": stream}}})

    send_mail("Password reset", f"Перейдите по ссылке:\n{link}\n", "a@x.com", ["b@x.com"])

    assert link in stream.getvalue().splitlines()


def test_stdout_is_the_default_stream(capsys: pytest.CaptureFixture[str]) -> None:
    configure(MAILERS={"default": {"BACKEND": CONSOLE}})

    assert send_mail("Hi", "Body", "a@x.com", ["b@x.com"]) == 1

    out = capsys.readouterr().out
    assert "Subject: Hi\n" in out
    assert out.endswith(f"\nBody\n\n{SEPARATOR}\n")


def test_several_messages_each_end_with_a_separator() -> None:
    stream = io.StringIO()
    messages = [EmailMessage(f"n{i}", f"body {i}", "a@x.com", ["b@x.com"]) for i in range(3)]

    assert console.EmailBackend(stream=stream).send_messages(messages) == 3
    assert stream.getvalue().count(f"\n{SEPARATOR}\n") == 3


def test_empty_batch_returns_zero_not_none() -> None:
    stream = io.StringIO()

    assert console.EmailBackend(stream=stream).send_messages([]) == 0
    assert stream.getvalue() == ""


def test_bad_header_writes_nothing_and_fails_silently_when_asked() -> None:
    stream = io.StringIO()
    messages = [
        EmailMessage("fine", "b", "a@x.com", ["b@x.com"]),
        EmailMessage("bad\nBcc: x@x.com", "b", "a@x.com", ["b@x.com"]),
    ]

    with pytest.raises(BadHeaderError):
        console.EmailBackend(stream=stream).send_messages(messages)
    assert console.EmailBackend(stream=stream, fail_silently=True).send_messages(messages) == 0
    assert stream.getvalue() == ""


def test_threads_do_not_interleave_messages() -> None:
    stream = io.StringIO()
    connection = console.EmailBackend(stream=stream)

    def send(n: int) -> None:
        body = "\n".join(f"thread {n} line {i}" for i in range(50))
        connection.send_messages([EmailMessage(f"t{n}", body, "a@x.com", ["b@x.com"])])

    threads = [threading.Thread(target=send, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    chunks = stream.getvalue().split(f"{SEPARATOR}\n")[:-1]
    assert len(chunks) == 4
    for chunk in chunks:
        numbers = {line.split()[1] for line in chunk.splitlines() if line.startswith("thread")}
        assert len(numbers) == 1
