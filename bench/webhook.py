"""Webhook benchmark: SMTP ingest with a slow or failing webhook receiver vs no webhook.

Run: .venv/bin/python bench/webhook.py [--messages 1000] [--connections 4] [--rounds 2]

Each round starts ``pochta serve --temp`` once per case, in this order:

- ``none``: no ``--webhook-url`` (the baseline);
- ``slow``: a receiver that takes 1 s to answer each call;
- ``500``: a receiver that answers ``500 Internal Server Error`` at once (so
  pochta retries each call twice);
- ``fast``: a receiver that answers ``200`` at once (every message is posted:
  the most work the webhook can add), for information.

Every webhook case runs with ``--webhook-limit 0`` (post every message, the
hardest setting). The receivers run in a process of their own, the SMTP
clients in one process per connection, each sending its share of
``--messages`` small messages with smtplib. The figures are messages/s from
the first connection to the last ``250`` (best round) and the CPU time
``pochta serve`` spent on the load and the second after it (median round,
read from ``/proc``: steadier than wall time on a shared machine), each with
its ratio to ``none`` in the same run. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import smtplib
import statistics
import subprocess
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from pochta.testing.server import read_startup  # noqa: E402

CASES = ("none", "slow", "500", "fast")
MESSAGE = (
    b"From: Shop <shop@example.com>\r\nTo: user@example.com\r\nSubject: Your order %d\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n\r\n" + b"Thank you for your order.\r\n" * 40
)


def receive(port_out: Any, ready: Any) -> None:
    """Serve the three receivers on free ports; put their ports on ``port_out``."""

    def handler(status: int, pause: float) -> type[BaseHTTPRequestHandler]:
        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                time.sleep(pause)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler

    import threading

    ports = {}
    for case, status, pause in (("slow", 200, 1.0), ("500", 500, 0.0), ("fast", 200, 0.0)):
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler(status, pause))
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        ports[case] = server.server_address[1]
    port_out.put(ports)
    ready.wait()


def send(host: str, port: int, first: int, count: int) -> None:
    """Send ``count`` messages over one connection."""
    with smtplib.SMTP(host, port, timeout=60) as client:
        for number in range(first, first + count):
            client.sendmail("shop@example.com", ["user@example.com"], MESSAGE % number)


def cpu_seconds(pid: int) -> float:
    """Return the CPU time (user + system, all threads) process ``pid`` has used."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_case(
    case: str, ports: dict[str, int], messages: int, connections: int
) -> tuple[float, float]:
    """Start pochta serve for ``case``, send the load; return messages/s and its CPU seconds."""
    command = [sys.executable, "-m", "pochta", "serve", "--temp"]
    command += ["--smtp", "127.0.0.1:0", "--listen", "127.0.0.1:0"]
    if case != "none":
        command += ["--webhook-url", f"http://127.0.0.1:{ports[case]}/hook"]
        command += ["--webhook-limit", "0"]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=ROOT
    )
    try:
        host, port = read_startup(process).smtp
        share = messages // connections
        clients = [
            multiprocessing.Process(target=send, args=(host, port, n * share, share))
            for n in range(connections)
        ]
        cpu = cpu_seconds(process.pid)
        started = time.perf_counter()
        for client in clients:
            client.start()
        for client in clients:
            client.join()
        elapsed = time.perf_counter() - started
        time.sleep(1.0)  # the indexer and the webhook finish what the load started
        return share * connections / elapsed, cpu_seconds(process.pid) - cpu
    finally:
        process.terminate()
        process.wait(30)


def main() -> None:
    """Run the rounds and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=2)
    options = parser.parse_args()
    port_out: Any = multiprocessing.Queue()
    ready = multiprocessing.Event()
    receivers = multiprocessing.Process(target=receive, args=(port_out, ready), daemon=True)
    receivers.start()
    ports = port_out.get(timeout=30)
    best = {case: 0.0 for case in CASES}
    cpu: dict[str, list[float]] = {case: [] for case in CASES}
    for round_number in range(options.rounds):
        for case in CASES:
            rate, used = run_case(case, ports, options.messages, options.connections)
            best[case] = max(best[case], rate)
            cpu[case].append(used)
            print(
                f"round {round_number + 1}: {case:>5}: {rate:7.1f} messages/s, "
                f"pochta serve used {used:5.2f} s CPU",
                flush=True,
            )
    ready.set()
    print(f"\n{options.messages} messages over {options.connections} connections:")
    print("   case   best messages/s   x none   median CPU s   x none")
    base_cpu = statistics.median(cpu["none"])
    for case in CASES:
        used = statistics.median(cpu[case])
        print(
            f"  {case:>5}   {best[case]:15.1f}   {best[case] / best['none']:6.2f}"
            f"   {used:12.2f}   {used / base_cpu:6.2f}"
        )


if __name__ == "__main__":
    main()
