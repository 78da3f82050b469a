"""Measure a $batch of user creates against the same creates sent one request at a time.

The script migrates a fresh database, creates an administrator, starts the
real server (waitress, via pserve) on 127.0.0.1, and times:

- N sequential ``POST /api/v1/users`` requests over one keep-alive connection;
- one ``POST /api/v1/$batch`` holding N ``POST /users`` items.

Each round uses new user names. It prints the median wall time of each
over the rounds and the batch's share of the sequential time.

Usage::

    .venv/bin/python benchmarks/batch_vs_sequential.py \
        [--database-url URL] [--items 20] [--rounds 15]

Without ``--database-url`` it uses a SQLite file in a temporary folder. A
PostgreSQL URL must name a database the script may fill; it creates its
own database next to it and drops it afterwards.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

from harness import VENV_BIN, ServerProcess, database, free_port, product_ini, run_command


def post(connection: http.client.HTTPConnection, path: str, body: dict, key: str) -> int:
    connection.request(
        "POST", path, json.dumps(body), {"Content-Type": "application/json", "X-API-Key": key}
    )
    response = connection.getresponse()
    response.read()
    return response.status


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="PostgreSQL URL; SQLite when left out")
    parser.add_argument("--items", type=int, default=20, help="creates per round (default 20)")
    parser.add_argument("--rounds", type=int, default=15, help="timed rounds (default 15)")
    arguments = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder_name:
        folder = Path(folder_name)
        with database(arguments.database_url, folder) as url:
            port = free_port()
            ini = folder / "bench.ini"
            ini.write_text(product_ini(url, port, threads=4, batch_max_requests=arguments.items))
            run_command([str(VENV_BIN / "access-platform"), "migrate", str(ini)])
            command = [str(VENV_BIN / "access-platform"), "create-admin", str(ini)]
            output = run_command([*command, "--user-name", "bench"])
            key = output.strip().splitlines()[-1]

            with ServerProcess(ini, port, "/healthz"):
                sequential, batched = measure(port, key, arguments.items, arguments.rounds)

    engine = "PostgreSQL" if arguments.database_url else "SQLite"
    sequential_ms = statistics.median(sequential) * 1000
    batched_ms = statistics.median(batched) * 1000
    print(f"database: {engine}, {arguments.items} creates per round, {arguments.rounds} rounds")
    print(f"sequential POST /users: median {sequential_ms:.1f} ms")
    print(f"one $batch:             median {batched_ms:.1f} ms")
    print(f"batch / sequential:     {batched_ms / sequential_ms:.1%}")


def measure(port: int, key: str, items: int, rounds: int) -> tuple[list[float], list[float]]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    sequential: list[float] = []
    batched: list[float] = []
    # One untimed round of each warms up connections and caches.
    for round_number in range(rounds + 1):
        started = time.perf_counter()
        for index in range(items):
            status = post(
                connection,
                "/api/v1/users",
                {"user_name": f"s{round_number}-{index}@bench.example"},
                key,
            )
            if status != 201:
                raise SystemExit(f"POST /api/v1/users returned {status}, expected 201")
        elapsed_sequential = time.perf_counter() - started

        requests = [
            {
                "id": str(index),
                "method": "POST",
                "url": "/users",
                "body": {"user_name": f"b{round_number}-{index}@bench.example"},
            }
            for index in range(items)
        ]
        started = time.perf_counter()
        status = post(connection, "/api/v1/$batch", {"requests": requests}, key)
        elapsed_batch = time.perf_counter() - started
        if status != 200:
            raise SystemExit(f"POST /api/v1/$batch returned {status}, expected 200")

        if round_number > 0:
            sequential.append(elapsed_sequential)
            batched.append(elapsed_batch)
    connection.close()
    return sequential, batched


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
