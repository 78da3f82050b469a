"""Every setting the platform reads, with its default, unit and meaning.

Settings come from the ``[app:main]`` section of the ini file. They are
parsed once at start-up by :func:`parse_settings`; a value that does not
parse stops start-up with a :class:`SettingsError` naming the key. The
table in docs/settings.md is printed by ``python -m access_platform.settings``,
and a test keeps the two in step.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pyramid.settings import asbool, aslist


class SettingsError(ValueError):
    """Raised when a setting is missing, malformed or out of range."""


@dataclass(frozen=True)
class Setting:
    """One documented setting: its key, default, parser and help text."""

    key: str
    default: str
    parse: Callable[[str], Any]
    help: str


def _positive_int(value: str) -> int:
    number = int(value)
    if number <= 0:
        raise ValueError(f"expected a positive integer, got {value!r}")
    return number


def _boolean(value: str) -> bool:
    if str(value).strip().lower() not in {"true", "false", "yes", "no", "on", "off", "1", "0"}:
        raise ValueError(f"expected true or false, got {value!r}")
    return asbool(value)


def _word_list(value: str) -> tuple[str, ...]:
    return tuple(aslist(value, flatten=True))


def _same_site(value: str) -> str:
    normalized = value.strip().capitalize()
    if normalized not in {"Lax", "Strict"}:
        raise ValueError(f"expected Lax or Strict, got {value!r}")
    return normalized


def _database_url(value: str) -> str:
    if not value.strip():
        raise ValueError("the database URL is empty; set it in the ini file")
    if not value.startswith(("sqlite", "postgresql")):
        raise ValueError(
            f"only sqlite and postgresql URLs are supported, got {value.split(':')[0]!r}"
        )
    return value.strip()


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "sqlalchemy.url",
        "",
        _database_url,
        "Database URL (required). `sqlite:///PATH` for the embedded store, "
        "`postgresql+psycopg://USER@HOST:PORT/DB` for PostgreSQL. "
        "An environment variable named by `sqlalchemy.url_env` overrides it.",
    ),
    Setting(
        "sqlalchemy.url_env",
        "",
        str.strip,
        "Name of an environment variable that holds the database URL, so that "
        "a password never sits in the committed ini file. Empty: use `sqlalchemy.url`.",
    ),
    Setting(
        "sqlalchemy.pool_size",
        "5",
        _positive_int,
        "Connections kept open per process (PostgreSQL only).",
    ),
    Setting(
        "access_platform.plugins",
        "",
        _word_list,
        "Installed plugins to enable, by entry-point name (group `access_platform.plugins`), "
        "separated by spaces or newlines. Built-in plugins are always enabled.",
    ),
    Setting(
        "access_platform.max_body_bytes",
        "1048576",
        _positive_int,
        "Largest request body accepted, in bytes. Larger bodies get 413.",
    ),
    Setting(
        "access_platform.batch.max_requests",
        "20",
        _positive_int,
        "Maximum number of subrequests in one `POST /api/v1/$batch`; more get 413. "
        "Microsoft Graph's limit is also 20.",
    ),
    Setting(
        "access_platform.list.max_limit",
        "1000",
        _positive_int,
        "Largest page size a client may request with `limit` on an `/api/v1` list; "
        "a larger `limit` gets 400. The default page size is 100, or this value if smaller.",
    ),
    Setting(
        "access_platform.scim.max_count",
        "1000",
        _positive_int,
        "Largest page of a SCIM list or search. A larger `count` is lowered to it without "
        "an error, as RFC 7644 section 3.4.2.4 allows; ServiceProviderConfig reports it as "
        "`filter.maxResults`. The default page size is 100, or this value if smaller.",
    ),
    Setting(
        "access_platform.scim.max_filter_length",
        "4096",
        _positive_int,
        "Longest SCIM `filter` accepted, in characters; a longer one gets 400 `invalidFilter`.",
    ),
    Setting(
        "access_platform.idempotency.window_seconds",
        "86400",
        _positive_int,
        "How long the result of a request sent with an `Idempotency-Key` is kept for "
        "replay, in seconds.",
    ),
    Setting(
        "access_platform.invitations.lifetime_seconds",
        "604800",
        _positive_int,
        "How long an invitation can be accepted after it is sent or resent, in seconds.",
    ),
    Setting(
        "access_platform.session.max_age_seconds",
        "28800",
        _positive_int,
        "Lifetime of a browser session after login, in seconds.",
    ),
    Setting(
        "access_platform.session.cookie_name",
        "access_platform_session",
        str.strip,
        "Name of the session cookie.",
    ),
    Setting(
        "access_platform.session.cookie_secure",
        "true",
        _boolean,
        "Send the session cookie only over HTTPS. Set false only for local development over HTTP.",
    ),
    Setting(
        "access_platform.session.cookie_samesite",
        "Lax",
        _same_site,
        "SameSite attribute of the session cookie: Lax or Strict.",
    ),
    Setting(
        "access_platform.login_throttle.account_max_failures",
        "5",
        _positive_int,
        "Failed logins for one user name within `access_platform.login_throttle.window_seconds` "
        "after which logins for that name get 429, whether or not the account exists.",
    ),
    Setting(
        "access_platform.login_throttle.address_max_failures",
        "20",
        _positive_int,
        "Failed logins from one client address (an IPv6 address counts by its /64 network) "
        "within the window after which logins from that address get 429.",
    ),
    Setting(
        "access_platform.login_throttle.window_seconds",
        "900",
        _positive_int,
        "Period over which failed logins are counted, in seconds.",
    ),
    Setting(
        "access_platform.login_throttle.lockout_seconds",
        "900",
        _positive_int,
        "How long logins get 429 once a limit is reached, in seconds.",
    ),
    Setting(
        "access_platform.credentials.last_used_interval_seconds",
        "60",
        _positive_int,
        "How often, at most, a credential's `last_used_at` is written, in seconds. "
        "Writing on every request would turn each read into a write.",
    ),
    Setting(
        "access_platform.api_key.default_lifetime_days",
        "365",
        _positive_int,
        "Lifetime, in days, of the API keys that `access-platform create-admin` and "
        "`create-api-key` issue.",
    ),
    Setting(
        "access_platform.expose_exception_details",
        "false",
        _boolean,
        "Put the exception class name in 500 responses. Never enable in production; "
        "the traceback is logged in any case.",
    ),
)

SETTINGS_BY_KEY: Mapping[str, Setting] = {setting.key: setting for setting in SETTINGS}


def parse_settings(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Parse every documented setting from ``raw`` and return the typed values.

    Keys not listed in :data:`SETTINGS` are passed through unchanged, because
    Pyramid, pyramid_tm, pyramid_retry and plugins read their own keys.
    """
    parsed: dict[str, Any] = dict(raw)
    for setting in SETTINGS:
        value = raw.get(setting.key, setting.default)
        if not isinstance(value, str):
            parsed[setting.key] = value
            continue
        try:
            parsed[setting.key] = setting.parse(value)
        except (TypeError, ValueError) as error:
            raise SettingsError(f"invalid setting {setting.key} = {value!r}: {error}") from error

    url_variable = parsed["sqlalchemy.url_env"]
    if url_variable:
        url = os.environ.get(url_variable)
        if not url:
            raise SettingsError(
                f"invalid setting sqlalchemy.url_env: "
                f"environment variable {url_variable} is not set"
            )
        try:
            parsed["sqlalchemy.url"] = _database_url(url)
        except ValueError as error:
            raise SettingsError(f"invalid value in ${url_variable}: {error}") from error

    return parsed


def core_setting_groups() -> frozenset[str]:
    """Return the names under ``access_platform.`` that group core settings, such as ``batch``."""
    groups = set()
    for setting in SETTINGS:
        parts = setting.key.split(".")
        if parts[0] == "access_platform" and len(parts) > 2:
            groups.add(parts[1])
    return frozenset(groups)


def plugin_settings(settings: Mapping[str, Any], plugin_name: str) -> dict[str, Any]:
    """Return the settings under ``access_platform.<plugin_name>.``, prefix removed."""
    prefix = f"access_platform.{plugin_name}."
    return {key[len(prefix) :]: value for key, value in settings.items() if key.startswith(prefix)}


def settings_reference() -> str:
    """Return the settings table in Markdown, as docs/settings.md shows it."""
    lines = ["| Key | Default | Meaning |", "| --- | --- | --- |"]
    for setting in SETTINGS:
        default = f"`{setting.default}`" if setting.default else "(empty)"
        lines.append(f"| `{setting.key}` | {default} | {setting.help} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(settings_reference(), end="")
