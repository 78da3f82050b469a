"""The access-platform command, run as a user runs it, against a fresh ini file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import webtest

from access_platform import main
from access_platform.cli import main as cli_main
from access_platform.migrate import script_heads

INI_TEMPLATE = """\
[app:main]
use = egg:access-platform
sqlalchemy.url = {url}
access_platform.session.cookie_secure = false

[loggers]
keys = root

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


@pytest.fixture
def ini_file(tmp_path: Path) -> Path:
    path = tmp_path / "test.ini"
    path.write_text(INI_TEMPLATE.format(url=f"sqlite:///{tmp_path / 'cli.sqlite'}"))
    return path


def run_cli(*arguments: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "access_platform.cli", *arguments],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def app_for(ini_file: Path) -> webtest.TestApp:
    url = ini_file.read_text().split("sqlalchemy.url = ")[1].splitlines()[0]
    return webtest.TestApp(
        main({}, **{"sqlalchemy.url": url, "access_platform.session.cookie_secure": "false"})
    )


def test_create_admin_before_migrate_fails_clearly(ini_file):
    result = run_cli("create-admin", str(ini_file), "--user-name", "admin")

    assert result.returncode == 1
    assert "run `access-platform migrate`" in result.stderr


def test_migrate_then_create_admin_prints_working_key(ini_file):
    migrated = run_cli("migrate", str(ini_file))
    assert migrated.returncode == 0, migrated.stderr

    created = run_cli("create-admin", str(ini_file), "--user-name", "root@example.com")
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip().splitlines()[-1]
    assert key.startswith("apk_")

    response = app_for(ini_file).get("/api/v1/auth/session", headers={"X-API-Key": key}, status=200)
    assert response.json["user"]["user_name"] == "root@example.com"
    # The key belongs to an administrator: it may create users.
    app_for(ini_file).post_json(
        "/api/v1/users", {"user_name": "second@example.com"}, headers={"X-API-Key": key}, status=201
    )


def test_create_admin_twice_fails_unless_if_missing(ini_file):
    run_cli("migrate", str(ini_file))
    first = run_cli("create-admin", str(ini_file), "--user-name", "admin")
    key = first.stdout.strip().splitlines()[-1]

    again = run_cli("create-admin", str(ini_file), "--user-name", "admin")
    assert again.returncode == 1
    assert "already exists" in again.stderr

    tolerant = run_cli("create-admin", str(ini_file), "--user-name", "admin", "--if-missing")
    assert tolerant.returncode == 0
    assert key not in tolerant.stdout
    assert "apk_" not in tolerant.stdout


def test_create_admin_with_password_from_stdin_can_log_in(ini_file):
    run_cli("migrate", str(ini_file))
    created = run_cli(
        "create-admin",
        str(ini_file),
        "--user-name",
        "admin",
        "--password-stdin",
        stdin="a long enough password\n",
    )
    assert created.returncode == 0, created.stderr
    assert "a long enough password" not in created.stdout + created.stderr

    app = app_for(ini_file)
    app.post_json(
        "/api/v1/auth/login",
        {"user_name": "admin", "password": "a long enough password"},
        status=200,
    )


def test_create_admin_rejects_short_password(ini_file):
    run_cli("migrate", str(ini_file))
    result = run_cli(
        "create-admin", str(ini_file), "--user-name", "admin", "--password-stdin", stdin="short\n"
    )
    assert result.returncode == 1
    assert "at least 8 characters" in result.stderr


def test_create_api_key_for_existing_user(ini_file):
    run_cli("migrate", str(ini_file))
    run_cli("create-admin", str(ini_file), "--user-name", "admin")

    result = run_cli("create-api-key", str(ini_file), "--user-name", "ADMIN")

    assert result.returncode == 0, result.stderr
    key = result.stdout.strip().splitlines()[-1]
    app_for(ini_file).get("/api/v1/auth/session", headers={"X-API-Key": key}, status=200)


def test_migrate_is_idempotent(ini_file):
    assert run_cli("migrate", str(ini_file)).returncode == 0
    second = run_cli("migrate", str(ini_file))
    assert second.returncode == 0
    assert ", ".join(sorted(script_heads())) in second.stdout


def test_plugins_lists_builtins(ini_file):
    result = run_cli("plugins", str(ini_file))

    assert result.returncode == 0, result.stderr
    assert "builtin-api-key" in result.stdout
    assert "builtin-scim-schemas" in result.stdout


def test_plugins_reports_unknown_plugin(ini_file):
    text = ini_file.read_text().replace(
        "[app:main]\n", "[app:main]\naccess_platform.plugins = nope\n"
    )
    ini_file.write_text(text)

    result = run_cli("plugins", str(ini_file))

    assert result.returncode == 1
    assert "'nope'" in result.stderr


def test_bad_setting_names_its_key(ini_file, capsys):
    text = ini_file.read_text().replace(
        "[app:main]\n", "[app:main]\naccess_platform.max_body_bytes = lots\n"
    )
    ini_file.write_text(text)

    assert cli_main(["migrate", str(ini_file)]) == 1
    assert "access_platform.max_body_bytes" in capsys.readouterr().err


def test_missing_ini_file_is_reported(tmp_path):
    result = run_cli("migrate", str(tmp_path / "missing.ini"))
    assert result.returncode == 1
    assert "missing.ini" in result.stderr


def test_create_admin_and_key_are_audited_as_cli(ini_file):
    text = ini_file.read_text()
    text = text.replace("[loggers]\nkeys = root\n", "[loggers]\nkeys = root, audit\n")
    text += (
        "\n[logger_audit]\nlevel = INFO\nhandlers = console\npropagate = 0\n"
        "qualname = access_platform.audit.events\n"
    )
    ini_file.write_text(text)
    run_cli("migrate", str(ini_file))

    created = run_cli(
        "create-admin",
        str(ini_file),
        "--user-name",
        "admin",
        "--password-stdin",
        stdin="a long enough password\n",
    )
    second = run_cli("create-api-key", str(ini_file), "--user-name", "admin")

    key = created.stdout.strip().splitlines()[-1]
    second_key = second.stdout.strip().splitlines()[-1]
    body = app_for(ini_file).get("/api/v1/auditEvents", headers={"X-API-Key": key}).json
    events = list(reversed(body["items"]))
    assert [event["action"] for event in events] == [
        "user.create",
        "role_assignment.create",
        "api_key.create",
        "api_key.create",
    ]
    for event in events:
        assert event["actor"] == {
            "type": "cli",
            "id": None,
            "auth_method": "cli",
            "credential_id": None,
        }
        assert event["request_id"] is None
        assert event["client_address"] is None
    assert events[0]["changes"]["password"] == "[redacted]"
    assert events[2]["changes"]["secret"] == "[redacted]"
    logged = created.stderr + second.stderr
    assert logged.count('"action":"api_key.create"') == 2
    for secret in (key, second_key, "a long enough password"):
        assert secret not in str(events)
        assert secret not in logged
