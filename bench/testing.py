"""What one test that sends a mail costs with the pytest plugin, against a bare smtplib send.

Run: .venv/bin/python bench/testing.py [--tests 200]

The pochta side does, per test, what a test using the ``pochta_server``
fixture does: the fixture's own work (empty the session's catcher with
``DELETE /api/v1/messages``, save and restore ``pochta.mail``'s settings),
one ``smtplib`` send to the catcher and one ``mailbox.wait_for(subject=...)``
that returns the stored message. The baseline sends the same message with
``smtplib`` to ``python -m aiosmtpd -n`` (a subprocess too) and checks
nothing. Both run in the same process, alternating test by test; the session
start (``PochtaServer.start()``) is timed once apart. Medians in ms, wall
clock (so as noisy as the machine is busy). Nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import smtplib
import socket
import statistics
import subprocess
import sys
import time
from email.message import EmailMessage

from pochta.testing import PochtaServer
from pochta.testing.outbox import restore_mail_settings, save_mail_settings


def free_port() -> int:
    """Return a port of 127.0.0.1 that is free now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def message(number: int) -> EmailMessage:
    """Return the small message test ``number`` sends."""
    mail = EmailMessage()
    mail["From"], mail["To"] = "app@example.com", f"user{number}@example.com"
    mail["Subject"] = f"Your code {number}"
    mail.set_content(f"Hello, your code is {number:06d}.\n")
    return mail


def start_aiosmtpd() -> tuple[subprocess.Popen[bytes], int]:
    """Start ``python -m aiosmtpd -n`` on a free port; return it once it greets."""
    port = free_port()
    command = [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with smtplib.SMTP("127.0.0.1", port, timeout=5):
                return process, port
        except OSError:
            time.sleep(0.05)
    raise SystemExit("aiosmtpd did not start")


def pochta_test(server: PochtaServer, number: int) -> float:
    """Run one test's worth of fixture, send and wait_for; return its seconds."""
    started = time.perf_counter()
    server.mailbox.delete_all()  # the pochta_server fixture's set-up
    saved = save_mail_settings()
    try:
        with smtplib.SMTP(server.smtp_host, server.smtp_port) as smtp:
            smtp.send_message(message(number))
        server.mailbox.wait_for(subject=f"Your code {number}")
    finally:
        restore_mail_settings(saved)
    return time.perf_counter() - started


def bare_test(port: int, number: int) -> float:
    """Send one message with smtplib to aiosmtpd; return its seconds."""
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        smtp.send_message(message(number))
    return time.perf_counter() - started


def main() -> None:
    """Start both servers, run the tests alternately, print medians and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tests", type=int, default=200)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    started = time.perf_counter()
    server = PochtaServer.start()
    session = time.perf_counter() - started
    aiosmtpd, port = start_aiosmtpd()
    pochta, bare = [], []
    try:
        for number in range(args.tests):
            pochta.append(pochta_test(server, number))
            bare.append(bare_test(port, number))
    finally:
        server.stop()
        aiosmtpd.terminate()
        aiosmtpd.wait(30)
    ours, theirs = statistics.median(pochta), statistics.median(bare)
    print(f"{args.tests} tests each; medians, wall clock")
    print(f"  pochta_server + send + wait_for  {ours * 1000:7.2f} ms a test")
    print(f"  smtplib send to aiosmtpd         {theirs * 1000:7.2f} ms a test")
    print(f"  ratio                            {ours / theirs:7.2f}x")
    print(f"  PochtaServer.start() once        {session * 1000:7.0f} ms (the session fixture)")
    print(f"load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
