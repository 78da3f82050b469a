"""The ini settings under ``access_platform.scim_extensions.``, parsed once at start-up."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pyramid.exceptions import ConfigurationError
from pyramid.settings import aslist

PLUGIN_NAME = "scim_extensions"
PREFIX = f"access_platform.{PLUGIN_NAME}."

# Every setting, with its meaning, as the README's table lists them.
SETTINGS = {
    "files": "Absolute paths of the JSON files that declare the schemas, separated by "
    "spaces or newlines (required).",
    "user_extensions": "URNs of the declared schemas that extend the User resource.",
    "group_extensions": "URNs of the declared schemas that extend the Group resource.",
    "required_extensions": "URNs of the extensions that every User or Group of their type "
    "must carry (RFC 7643 section 3.3). Default: none.",
}


@dataclass(frozen=True)
class ExtensionSettings:
    """The parsed settings. URN lists keep the spelling of the ini file."""

    files: tuple[Path, ...]
    user_extensions: tuple[str, ...]
    group_extensions: tuple[str, ...]
    required_extensions: tuple[str, ...]


def parse_settings(plugin_settings: Mapping[str, Any]) -> ExtensionSettings:
    """Parse the plugin's settings, prefix removed.

    :raises ConfigurationError: for an unknown key, a missing ``files``, a
        relative path, or a URN listed twice.
    """
    for key in plugin_settings:
        if key not in SETTINGS:
            raise ConfigurationError(
                f"unknown setting {PREFIX}{key}; the settings are "
                + ", ".join(PREFIX + name for name in SETTINGS)
            )

    files = tuple(Path(item) for item in _words(plugin_settings, "files"))
    if not files:
        raise ConfigurationError(
            f"{PREFIX}files is missing: name at least one JSON file of SCIM schemas, "
            "such as %(here)s/acme-extension.json"
        )
    for path in files:
        if not path.is_absolute():
            raise ConfigurationError(
                f"{PREFIX}files names the relative path {str(path)!r}; write an absolute path, "
                f"such as %(here)s/{path}, so that it does not depend on the working directory"
            )

    return ExtensionSettings(
        # Resolved, so that messages show each file once, without "..".
        tuple(path.resolve() for path in files),
        _urns(plugin_settings, "user_extensions"),
        _urns(plugin_settings, "group_extensions"),
        _urns(plugin_settings, "required_extensions"),
    )


def _words(plugin_settings: Mapping[str, Any], key: str) -> list[str]:
    value = plugin_settings.get(key, "")
    if not isinstance(value, str):
        raise ConfigurationError(f"{PREFIX}{key} must be text, got {value!r}")
    return aslist(value, flatten=True)


def _urns(plugin_settings: Mapping[str, Any], key: str) -> tuple[str, ...]:
    urns = _words(plugin_settings, key)
    seen: set[str] = set()
    for urn in urns:
        if urn.casefold() in seen:
            raise ConfigurationError(f"{PREFIX}{key} lists {urn} twice")
        seen.add(urn.casefold())
    return tuple(urns)
