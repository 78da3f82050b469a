"""Benchmark access-platform against the ceiling of its framework and server.

For each database and user count given, the script:

1. creates a database of its own and seeds it in bulk (seeding.py);
2. serves the ceiling app (ceiling_app.py) with pserve and waitress, and
   measures ``GET /ceiling`` with the same clients as the product;
3. serves access-platform from the same ``[server:main]`` settings, checks
   that seeded rows match what the API writes, and runs the workload of
   workloads.py, reading the server's peak resident memory after each
   operation;
4. measures the ceiling again, and prints one table and the targets.

Usage::

    .venv/bin/python benchmarks/run.py --database sqlite postgresql --users 10000 100000

See benchmarks/README.md for the workload, the targets and how to read
the numbers.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import report
import seeding
import sqlalchemy as sa
import workloads
from harness import (
    DEFAULT_POSTGRESQL_URL,
    ROOT,
    ServerProcess,
    ceiling_ini,
    database,
    free_port,
    product_ini,
)
from http_load import Request, Timing, measure

DATABASE_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def measure_ceiling(folder: Path, arguments: argparse.Namespace) -> dict[str, Timing]:
    """Serve the ceiling app and measure it with ``--clients`` clients and with one connection."""
    port = free_port()
    ini = folder / "ceiling.ini"
    ini.write_text(ceiling_ini(port, arguments.threads))
    with ServerProcess(ini, port, "/ceiling"):
        timings = {}
        for kind, clients in (("concurrent", arguments.clients), ("sequential", 1)):
            timings[kind] = measure(
                port,
                lambda number: Request("GET", "/ceiling"),
                {"Accept": "application/json"},
                clients=clients,
                warmup_seconds=arguments.warmup,
                duration_seconds=arguments.duration,
            )
    return timings


def database_version(url: str) -> str:
    if url.startswith("sqlite"):
        return f"SQLite {sqlite3.sqlite_version}"
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return "PostgreSQL " + connection.scalar(sa.text("SHOW server_version"))
    finally:
        engine.dispose()


def source_revision() -> str | None:
    result = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607 (git from PATH, like a developer)
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout.strip() or None


class Profiler:
    """A py-spy recorder of the server, one file ``folder/<prefix>-<name>.txt`` per operation.

    py-spy keeps only samples of the thread that holds the GIL. The server
    runs Python on one core at a time, so those samples are what its
    throughput is spent on. Waitress threads that wait for work or for the
    database drop out. The files are in py-spy's raw format (collapsed
    stacks with sample counts), which summarize_profile.py and flame graph
    tools read. Without a folder the recorder does nothing.
    """

    def __init__(self, folder: Path | None, pid: int, prefix: str) -> None:
        self.folder = folder
        self.pid = pid
        self.prefix = prefix
        self.process: subprocess.Popen[bytes] | None = None
        if folder is not None:
            folder.mkdir(parents=True, exist_ok=True)

    def start(self, name: str) -> None:
        if self.folder is None:
            return
        output = self.folder / f"{self.prefix}-{name}.txt"
        self.process = subprocess.Popen(
            [
                py_spy(),
                "record",
                "--pid",
                str(self.pid),
                "--gil",
                "--format",
                "raw",
                "--output",
                str(output),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def stop(self) -> None:
        if self.process is None:
            return
        # py-spy writes its output when interrupted, as after Ctrl-C.
        self.process.send_signal(signal.SIGINT)
        self.process.wait(timeout=60)
        self.process = None


def py_spy() -> str:
    found = shutil.which(
        "py-spy", path=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    )
    if found is None:
        raise SystemExit(
            "--profile needs py-spy; install it with: .venv/bin/pip install -e '.[bench]'"
        )
    return found


def _row(
    operation: workloads.Operation, timing: Timing, clients: int, peak_rss_kib: int
) -> dict[str, Any]:
    return {
        "label": operation.label,
        "kind": operation.kind,
        "clients": clients,
        **timing.summary(),
        "max_ms": max(timing.latencies, default=math.nan) * 1000,
        "ceiling_ratio": None,
        "peak_rss_kib": peak_rss_kib,
    }


def run_workload(
    server: ServerProcess,
    context: workloads.Context,
    arguments: argparse.Namespace,
    profiler: Profiler,
) -> dict[str, dict[str, Any]]:
    """Run every operation against the product and return one row per operation."""
    rows: dict[str, dict[str, Any]] = {}
    operations = {operation.key: operation for operation in workloads.operations(context)}
    for operation in operations.values():
        if operation.key in rows:
            continue
        progress(f"  {operation.label}")
        profiler.start(operation.key)
        if operation.kind in ("concurrent", "sequential"):
            timing = workloads.run_measured(
                context, operation, arguments.clients, arguments.warmup, arguments.duration
            )
            clients = arguments.clients if operation.kind == "concurrent" else 1
            rows[operation.key] = _row(operation, timing, clients, server.memory_kib()["VmHWM"])
        elif operation.key == "scim_patch_1000_members":
            timing = workloads.patch_members(context)
            rows[operation.key] = _row(operation, timing, 1, server.memory_kib()["VmHWM"])
        elif operation.key == "rest_create_20_sequential":
            sequential, batched = workloads.batch_against_sequential(context, arguments.rounds)
            peak = server.memory_kib()["VmHWM"]
            rows[operation.key] = _row(operation, sequential, 1, peak)
            rows["rest_batch_20"] = _row(operations["rest_batch_20"], batched, 1, peak)
        profiler.stop()
    return rows


def run_one(database_name: str, users: int, arguments: argparse.Namespace) -> dict[str, Any]:
    """Seed, serve and measure one database at one size; return the result as a JSON-ready dict."""
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as folder_name:
        folder = Path(folder_name)
        postgresql_url = arguments.postgresql_url if database_name == "postgresql" else None
        with database(postgresql_url, folder) as url:
            progress(f"{DATABASE_NAMES[database_name]}, {users:,} users: seeding")
            started = time.monotonic()
            seed = seeding.seed(url, users)
            seed_seconds = time.monotonic() - started

            progress("  ceiling, before")
            ceiling_before = measure_ceiling(folder, arguments)

            port = free_port()
            ini = folder / "product.ini"
            ini.write_text(product_ini(url, port, arguments.threads))
            with ServerProcess(ini, port, "/healthz") as server:
                idle_rss_kib = server.memory_kib()["VmRSS"]
                context = workloads.Context(port, seed)
                workloads.check_seed_shape(context, url)
                profiler = Profiler(arguments.profile, server.pid, f"{database_name}-{users}")
                operations = run_workload(server, context, arguments, profiler)
                peak_rss_kib = server.memory_kib()["VmHWM"]
            version = database_version(url)

            progress("  ceiling, after")
            ceiling_after = measure_ceiling(folder, arguments)

    ceiling: dict[str, Any] = {}
    for kind in ("concurrent", "sequential"):
        before, after = ceiling_before[kind], ceiling_after[kind]
        merged = Timing(
            before.latencies + after.latencies, before.period_seconds + after.period_seconds
        )
        ceiling[kind] = {
            "clients": arguments.clients if kind == "concurrent" else 1,
            **merged.summary(),
            "before": before.requests_per_second,
            "after": after.requests_per_second,
        }
    for row in operations.values():
        if row["kind"] in ("concurrent", "sequential"):
            row["ceiling_ratio"] = (
                row["requests_per_second"] / ceiling[row["kind"]]["requests_per_second"]
            )

    result = {
        "database": DATABASE_NAMES[database_name],
        "database_version": version,
        "users": users,
        "source_revision": source_revision(),
        "setup": {
            "threads": arguments.threads,
            "clients": arguments.clients,
            "warmup_seconds": arguments.warmup,
            "duration_seconds": arguments.duration,
            "rounds": arguments.rounds,
        },
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_before": load_before,
            "load_after": os.getloadavg(),
        },
        "seed_seconds": seed_seconds,
        "ceiling": ceiling,
        "operations": operations,
        "memory": {"idle_rss_kib": idle_rss_kib, "peak_rss_kib": peak_rss_kib},
    }
    result["targets"] = report.targets(result)
    return result


def print_comparisons(results: list[dict[str, Any]]) -> None:
    """Print the cross-size targets for each database that ran at two or more sizes."""
    for database_name in dict.fromkeys(result["database"] for result in results):
        runs = sorted(
            (result for result in results if result["database"] == database_name),
            key=lambda result: result["users"],
        )
        if len(runs) < 2 or runs[0]["users"] == runs[-1]["users"]:
            continue
        small, large = runs[0], runs[-1]
        print(f"\n## {database_name}: {small['users']:,} against {large['users']:,} users\n")
        # Load from other processes changes latencies more than the sizes do.
        print(
            f"Load average before each run: {small['machine']['load_before'][0]:.2f} and "
            f"{large['machine']['load_before'][0]:.2f}.\n"
        )
        print(report.format_checks(report.compare(small, large)))


def positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database",
        nargs="+",
        choices=sorted(DATABASE_NAMES),
        default=["sqlite"],
        help="databases to run on, in order (default: sqlite)",
    )
    parser.add_argument(
        "--users",
        nargs="+",
        type=positive_int,
        default=[10_000],
        help="numbers of seeded users, one run each (default: 10000)",
    )
    parser.add_argument(
        "--postgresql-url",
        default=DEFAULT_POSTGRESQL_URL,
        help="PostgreSQL URL next to which a database of the run's own is created and dropped "
        f"(default: {DEFAULT_POSTGRESQL_URL})",
    )

    parser.add_argument(
        "--threads", type=positive_int, default=4, help="waitress threads (default: 4)"
    )
    parser.add_argument(
        "--clients",
        type=positive_int,
        default=4,
        help="concurrent clients for the concurrent operations (default: 4)",
    )
    parser.add_argument(
        "--duration",
        type=float,
        default=10.0,
        help="measured seconds per operation (default: 10)",
    )
    parser.add_argument(
        "--warmup",
        type=float,
        default=2.0,
        help="seconds of unmeasured requests before each operation (default: 2)",
    )
    parser.add_argument(
        "--rounds",
        type=positive_int,
        default=15,
        help="timed rounds of 20 sequential creates and of one $batch of 20 (default: 15)",
    )

    parser.add_argument(
        "--output", type=Path, metavar="FILE", help="write the results as JSON to this file"
    )
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="FOLDER",
        help="record the server with py-spy during each operation, one file per operation in "
        "FOLDER; sampling slows the server, so take numbers from runs without it",
    )
    parser.add_argument(
        "--compare",
        nargs=2,
        type=Path,
        metavar="RESULTS.json",
        help="print the cross-size targets of two --output files and exit",
    )
    return parser


def main() -> None:
    arguments = build_parser().parse_args()
    if arguments.compare:
        results = []
        for path in arguments.compare:
            results.extend(json.loads(path.read_text()))
        print_comparisons(results)
        return

    results = []
    for database_name in arguments.database:
        for users in arguments.users:
            result = run_one(database_name, users, arguments)
            results.append(result)
            print(report.render(result) + "\n", flush=True)
            if arguments.output:
                arguments.output.write_text(json.dumps(results, indent=2))
    print_comparisons(results)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
