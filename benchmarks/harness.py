"""Shared pieces of the benchmark scripts: a database of their own, ini files, server processes.

Every server is ``pserve`` with waitress, bound to 127.0.0.1 on a free
port, so that what is measured is the product as it is deployed.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import time
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from access_platform.testing import empty_database

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = Path(__file__).resolve().parent
VENV_BIN = Path(sys.executable).parent
DEFAULT_POSTGRESQL_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"

PRODUCT_APP = """\
[app:main]
use = egg:access-platform
sqlalchemy.url = {url}
sqlalchemy.pool_size = {pool_size}
access_platform.session.cookie_secure = false
access_platform.batch.max_requests = {batch_max_requests}
"""

# The ceiling app (ceiling_app.py) is found through PYTHONPATH, which
# ServerProcess sets to this folder.
CEILING_APP = """\
[app:main]
use = call:ceiling_app:main
"""

SERVER_AND_LOGGING = """
[server:main]
use = egg:waitress#main
listen = 127.0.0.1:{port}
threads = {threads}

[loggers]
keys = root, waitress_queue

# Waitress warns whenever a request waits for a free thread, which a
# saturating benchmark makes it do all the time.
[logger_waitress_queue]
level = ERROR
handlers =
qualname = waitress.queue

[handlers]
keys = console

[formatters]
keys = generic

[logger_root]
level = WARN
handlers = console

[handler_console]
class = StreamHandler
args = (sys.stderr,)
level = NOTSET
formatter = generic

[formatter_generic]
format = %(levelname)s %(message)s
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def database(postgresql_url: str | None, folder: Path) -> AbstractContextManager[str]:
    """Return a context that yields the URL of an empty database the caller may fill.

    Without ``postgresql_url`` it is a SQLite file in ``folder``. With one,
    a new database is created next to the one the URL names and dropped
    when the block ends. The named database itself is never written to.
    """
    return empty_database(folder, postgresql_url)


def product_ini(url: str, port: int, threads: int, batch_max_requests: int = 20) -> str:
    """Return an ini file that serves access-platform on ``url`` with ``threads`` threads."""
    # One pooled connection per waitress thread, and never fewer than the default of 5.
    app = PRODUCT_APP.format(
        url=url, pool_size=max(5, threads), batch_max_requests=batch_max_requests
    )
    return app + SERVER_AND_LOGGING.format(port=port, threads=threads)


def ceiling_ini(port: int, threads: int) -> str:
    """Return an ini file that serves the ceiling app with the same server settings."""
    return CEILING_APP + SERVER_AND_LOGGING.format(port=port, threads=threads)


def run_command(command: list[str]) -> str:
    """Run ``command`` and return its standard output.

    :raises SystemExit: with the command's output, when it fails.
    """
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(
            f"{' '.join(command)} failed with exit status {result.returncode}:\n"
            f"{result.stdout}{result.stderr}"
        )
    return result.stdout


def wait_for(port: int, path: str, timeout_seconds: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            connection.request("GET", path)
            if connection.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(
        f"the server on port {port} did not respond to GET {path} within {timeout_seconds} s"
    )


class ServerProcess:
    """A ``pserve`` process serving one ini file, with its memory read from ``/proc``.

    pserve runs waitress in its own process, so the process's resident set
    is the server's.
    """

    def __init__(self, ini: Path, port: int, ready_path: str) -> None:
        self.ini = ini
        self.port = port
        self.ready_path = ready_path
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> ServerProcess:
        environment = dict(os.environ)
        environment["PYTHONPATH"] = os.pathsep.join(
            part for part in (str(BENCHMARKS), environment.get("PYTHONPATH")) if part
        )
        # pserve prints its start-up line on standard output, which is the report's.
        self.process = subprocess.Popen(
            [str(VENV_BIN / "pserve"), str(self.ini)],
            cwd=ROOT,
            env=environment,
            stdout=sys.stderr,
        )
        try:
            wait_for(self.port, self.ready_path)
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    @property
    def pid(self) -> int:
        if self.process is None:
            raise RuntimeError(f"the server for {self.ini} was never started")
        return self.process.pid

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=30)

    def memory_kib(self) -> dict[str, int]:
        """Return the server's current (``VmRSS``) and peak (``VmHWM``) resident set, in KiB."""
        values: dict[str, int] = {}
        with open(f"/proc/{self.pid}/status", encoding="ascii") as status:
            for line in status:
                key, _, rest = line.partition(":")
                if key in ("VmRSS", "VmHWM"):
                    values[key] = int(rest.split()[0])
        return values


def call(
    port: int,
    method: str,
    path: str,
    headers: dict[str, str],
    body: Any = None,
    expected_status: int = 200,
) -> Any:
    """Send one request on a new connection and return the decoded JSON response body.

    :raises SystemExit: when the status is not ``expected_status``.
    """
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        payload = None if body is None else json.dumps(body)
        request_headers = dict(headers)
        if payload is not None:
            request_headers.setdefault("Content-Type", "application/json")
        connection.request(method, path, payload, request_headers)
        response = connection.getresponse()
        data = response.read()
    finally:
        connection.close()
    if response.status != expected_status:
        raise SystemExit(
            f"{method} {path} returned {response.status}, expected {expected_status}: "
            f"{data[:500].decode('utf-8', 'replace')}"
        )
    return json.loads(data) if data else None
