"""Run schemathesis against a live server to check that the API keeps its OpenAPI contract.

The script migrates a fresh SQLite database in a temporary folder, creates
an administrator with ``access-platform create-admin``, serves the app with
waitress on 127.0.0.1 (a free port), and runs schemathesis against
``/api/v1/openapi.json`` with the administrator's API key. It passes when
no response is a 5xx and every response matches the status codes, media
types, headers and schemas that the document gives for its operation.
The server's log is printed when the run fails.

Install schemathesis first with ``.venv/bin/pip install -e '.[contract]'``.

Usage::

    .venv/bin/python scripts/schemathesis_run.py [--max-examples N] [extra schemathesis options]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

# The contract: no 5xx, and every response as documented. unsupported_method
# and ignored_auth add that undocumented methods get 405 with Allow, and
# that requests without credentials get 401.
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "unsupported_method",
    "ignored_auth",
)

INI_TEMPLATE = """\
[app:main]
use = egg:access-platform
sqlalchemy.url = sqlite:///{database}
access_platform.session.cookie_secure = false
retry.attempts = 3

[server:main]
use = egg:waitress#main
listen = 127.0.0.1:{port}

[loggers]
keys = root, access_platform

[handlers]
keys = console

[formatters]
keys = generic

[logger_root]
level = WARN
handlers = console

[logger_access_platform]
level = {log_level}
handlers =
qualname = access_platform

[handler_console]
class = StreamHandler
args = (sys.stderr,)
level = NOTSET
formatter = generic

[formatter_generic]
format = %(asctime)s %(levelname)-5.5s [%(name)s] %(message)s
"""

SERVER_START_SECONDS = 30
# Read by schemathesis_hooks.py, which keeps these ids out of unsafe requests.
PROTECTED_IDS_VARIABLE = "ACCESS_PLATFORM_CONTRACT_PROTECTED_IDS"


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_ready(url: str, server: subprocess.Popen) -> None:
    """Poll ``url`` until it returns 200, and raise if the server exits or is not ready in time."""
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited with status {server.returncode} at start-up")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not return 200 within {SERVER_START_SECONDS} seconds")


def get_json(url: str, api_key: str) -> dict:
    request = urllib.request.Request(url, headers={"X-API-Key": api_key})  # noqa: S310
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return json.load(response)


def protected_ids(base: str, api_key: str) -> list[str]:
    """Return the ids of the administrator and its role assignments, which the hooks protect."""
    user_id = get_json(f"{base}/api/v1/auth/session", api_key)["user"]["id"]
    assignments = get_json(f"{base}/api/v1/roleAssignments?principal_id={user_id}", api_key)
    return [user_id, *(item["id"] for item in assignments["items"])]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--max-examples",
        type=int,
        default=20,
        help="test cases per operation and phase (default 20)",
    )
    parser.add_argument(
        "--log-level",
        default="WARN",
        help="level of the server's access_platform logger, printed when the run fails",
    )
    parser.add_argument("--keep-log", type=Path, help="also copy the server's log to this file")
    arguments, extra = parser.parse_known_args()

    bin_dir = Path(sys.executable).parent
    with tempfile.TemporaryDirectory(prefix="schemathesis-") as folder:
        port = free_port()
        ini = Path(folder) / "contract.ini"
        ini.write_text(
            INI_TEMPLATE.format(
                database=Path(folder) / "contract.sqlite", port=port, log_level=arguments.log_level
            )
        )
        subprocess.run([bin_dir / "access-platform", "migrate", ini], check=True)
        created = subprocess.run(
            [bin_dir / "access-platform", "create-admin", ini, "--user-name", "admin"],
            check=True,
            capture_output=True,
            text=True,
        )
        api_key = created.stdout.strip().splitlines()[-1]

        log_path = Path(folder) / "server.log"
        with log_path.open("w") as log_file:
            server = subprocess.Popen(
                [bin_dir / "pserve", ini], stdout=log_file, stderr=subprocess.STDOUT
            )
            try:
                base = f"http://127.0.0.1:{port}"
                wait_until_ready(f"{base}/readyz", server)
                environment = {
                    **os.environ,
                    "SCHEMATHESIS_HOOKS": "schemathesis_hooks",
                    "PYTHONPATH": str(Path(__file__).resolve().parent),
                    PROTECTED_IDS_VARIABLE: ",".join(protected_ids(base, api_key)),
                }
                command = [
                    bin_dir / "schemathesis",
                    "run",
                    f"{base}/api/v1/openapi.json",
                    "--header",
                    f"X-API-Key: {api_key}",
                    "--checks",
                    ",".join(CHECKS),
                    "--max-examples",
                    str(arguments.max_examples),
                    "--generation-database",
                    "none",
                    "--no-color",
                    *extra,
                ]
                started = time.monotonic()
                # schemathesis writes a .schemathesis folder into its working
                # directory; the temporary folder keeps it out of the checkout.
                result = subprocess.run(command, check=False, env=environment, cwd=folder)
                print(f"schemathesis took {time.monotonic() - started:.0f} seconds")
            finally:
                server.terminate()
                server.wait(timeout=10)

        log_text = log_path.read_text()
        if arguments.keep_log:
            arguments.keep_log.write_text(log_text)
        if result.returncode != 0:
            print("--- server log ---")
            print(log_text)
        return result.returncode


if __name__ == "__main__":
    sys.exit(main())
