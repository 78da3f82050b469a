"""Settings parsing, and the reference in docs/settings.md."""

from __future__ import annotations

import pytest

from access_platform.settings import (
    SETTINGS,
    SettingsError,
    parse_settings,
    plugin_settings,
    settings_reference,
)

URL = {"sqlalchemy.url": "sqlite:///x.sqlite"}


def test_defaults_are_typed():
    parsed = parse_settings(URL)

    assert parsed["access_platform.max_body_bytes"] == 1048576
    assert parsed["access_platform.session.cookie_secure"] is True
    assert parsed["access_platform.plugins"] == ()


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("access_platform.max_body_bytes", "lots"),
        ("access_platform.max_body_bytes", "0"),
        ("access_platform.session.cookie_secure", "maybe"),
        ("access_platform.session.cookie_samesite", "None"),
        ("sqlalchemy.url", "mysql://localhost/x"),
        ("sqlalchemy.url", ""),
    ],
)
def test_bad_value_names_key(key, value):
    with pytest.raises(SettingsError, match=key.replace(".", r"\.")):
        parse_settings({**URL, key: value})


def test_plugin_list_accepts_spaces_and_newlines():
    parsed = parse_settings({**URL, "access_platform.plugins": "oidc\n  guardrail-rules extra"})
    assert parsed["access_platform.plugins"] == ("oidc", "guardrail-rules", "extra")


def test_url_from_environment(monkeypatch):
    monkeypatch.setenv("TEST_DATABASE_URL", "postgresql+psycopg://u:secret@db/x")

    parsed = parse_settings({**URL, "sqlalchemy.url_env": "TEST_DATABASE_URL"})

    assert parsed["sqlalchemy.url"] == "postgresql+psycopg://u:secret@db/x"


def test_missing_url_environment_variable_is_an_error(monkeypatch):
    monkeypatch.delenv("TEST_DATABASE_URL", raising=False)
    with pytest.raises(SettingsError, match="TEST_DATABASE_URL"):
        parse_settings({**URL, "sqlalchemy.url_env": "TEST_DATABASE_URL"})


def test_plugin_settings_strip_prefix():
    settings = {"access_platform.oidc.issuer": "x", "access_platform.oidcx.issuer": "y"}
    assert plugin_settings(settings, "oidc") == {"issuer": "x"}


# Numeric settings that count things and so have no unit.
COUNTS = {
    "sqlalchemy.pool_size",
    "access_platform.batch.max_requests",
    "access_platform.list.max_limit",
    "access_platform.scim.max_count",
    "access_platform.scim.max_filter_length",
    "access_platform.login_throttle.account_max_failures",
    "access_platform.login_throttle.address_max_failures",
}


def test_numeric_settings_name_their_unit():
    for setting in SETTINGS:
        assert setting.help.endswith("."), setting.key
        if setting.default.isdigit() and setting.key not in COUNTS:
            assert setting.key.endswith(("_seconds", "_days", "_bytes")), setting.key


def test_docs_list_every_setting(project_root):
    document = (project_root / "docs" / "settings.md").read_text()
    assert settings_reference() in document


def test_ini_files_use_only_known_keys(project_root):
    from configparser import ConfigParser

    known = {setting.key for setting in SETTINGS} | {"use", "retry.attempts"}
    for name in ("development.ini", "production.ini"):
        parser = ConfigParser(interpolation=None)
        parser.read(project_root / name)
        unknown = set(parser["app:main"]) - known
        assert unknown == set(), f"{name}: {unknown}"


def test_production_ini_is_safe(project_root):
    from configparser import ConfigParser

    parser = ConfigParser(interpolation=None)
    parser.read(project_root / "production.ini")
    app = parser["app:main"]

    assert app["access_platform.session.cookie_secure"] == "true"
    assert app["access_platform.expose_exception_details"] == "false"
    assert "sqlalchemy.url" not in app
    assert app["sqlalchemy.url_env"]
