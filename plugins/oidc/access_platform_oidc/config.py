"""The plugin's settings: every key with its default and meaning, parsed once at start-up.

Keys live under ``access_platform.oidc.`` in the ini file; the plugin gets
them with that prefix removed. A missing or invalid value, an unknown key,
or a key file that cannot be used raises
:class:`pyramid.exceptions.ConfigurationError` naming the full key, which
stops start-up.
"""

from __future__ import annotations

import ipaddress
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pyramid.exceptions import ConfigurationError
from pyramid.settings import aslist

from access_platform.settings import Setting
from access_platform_oidc.keys import (
    HMAC_ALGORITHMS,
    SUPPORTED_ALGORITHMS,
    UnusableKeyError,
    VerificationKey,
    load_jwks_file,
    load_pem_file,
    shared_secret_key,
)

log = logging.getLogger(__name__)

PREFIX = "access_platform.oidc."

# User columns that ``user_claim`` can be matched against.
USER_ATTRIBUTES = ("id", "user_name", "email", "external_id")

LOOPBACK_HOST_NAMES = frozenset({"localhost"})


def _required_text(value: str) -> str:
    text = value.strip()
    if not text:
        raise ValueError("a value is required")
    return text


def _optional_text(value: str) -> str | None:
    return value.strip() or None


def _word_tuple(value: str) -> tuple[str, ...]:
    words = tuple(aslist(value, flatten=True))
    if not words:
        raise ValueError("at least one value is required")
    return words


def _algorithms(value: str) -> frozenset[str]:
    names = aslist(value, flatten=True)
    if not names:
        raise ValueError("at least one algorithm is required")
    for name in names:
        if name.lower() == "none":
            raise ValueError("'none' would accept unsigned tokens; remove it")
        if name not in SUPPORTED_ALGORITHMS:
            supported = " ".join(sorted(SUPPORTED_ALGORITHMS))
            raise ValueError(f"{name!r} is not a supported algorithm (supported: {supported})")
    return frozenset(names)


def _non_negative_int(value: str) -> int:
    number = int(value)
    if number < 0:
        raise ValueError(f"expected zero or a positive integer, got {value!r}")
    return number


def _leeway(value: str) -> int:
    number = _non_negative_int(value)
    # Kerberos (krb5.conf clockskew) and Microsoft.IdentityModel both default
    # to 300 seconds of clock skew. More than that hides a broken clock and
    # stretches every token's lifetime.
    if number > 300:
        raise ValueError(f"expected at most 300 seconds, got {value!r}")
    return number


def _positive_int(value: str) -> int:
    number = int(value)
    if number <= 0:
        raise ValueError(f"expected a positive integer, got {value!r}")
    return number


def _positive_seconds(value: str) -> float:
    number = float(value)
    if not number > 0:
        raise ValueError(f"expected a positive number of seconds, got {value!r}")
    return number


def _user_attribute(value: str) -> str:
    attribute = value.strip()
    if attribute not in USER_ATTRIBUTES:
        raise ValueError(f"expected one of {', '.join(USER_ATTRIBUTES)}, got {value!r}")
    return attribute


def _optional_path(value: str) -> Path | None:
    text = value.strip()
    return Path(text) if text else None


def _public_key_files(value: str) -> tuple[tuple[str | None, Path], ...]:
    entries = []
    for line in aslist(value, flatten=False):
        kid, separator, path = line.partition("=")
        if not separator:
            entries.append((None, Path(line.strip())))
            continue
        if not kid.strip() or not path.strip():
            raise ValueError(f"expected KID=PATH or PATH, got {line!r}")
        entries.append((kid.strip(), Path(path.strip())))
    return tuple(entries)


def is_loopback_host(host: str) -> bool:
    """Return whether ``host`` names this machine: ``localhost`` or a loopback address."""
    if host.lower() in LOOPBACK_HOST_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _jwks_url(value: str) -> str | None:
    url = value.strip()
    if not url:
        return None
    parts = urlsplit(url)
    if not parts.hostname:
        raise ValueError(f"expected an absolute https URL, got {url!r}")
    if parts.scheme == "https":
        return url
    if parts.scheme == "http" and is_loopback_host(parts.hostname):
        return url
    raise ValueError(
        "keys must be fetched over https, so that no one on the network can swap them. "
        f"Plain http is accepted only for a loopback host, got {url!r}"
    )


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "issuer",
        "",
        _required_text,
        "Required. The exact `iss` that tokens must carry, such as `https://idp.example.com/`.",
    ),
    Setting(
        "audience",
        "",
        _word_tuple,
        "Required. Accepted `aud` values, separated by spaces; a token is accepted when its "
        "`aud` contains at least one of them.",
    ),
    Setting(
        "algorithms",
        "RS256 ES256",
        _algorithms,
        "JWS algorithms accepted, separated by spaces: RS256 RS384 RS512 PS256 PS384 PS512 "
        "ES256 ES384 ES512 EdDSA, and HS256 HS384 HS512 with `hmac_secret_env`. "
        "`none` stops start-up.",
    ),
    Setting(
        "jwks_file",
        "",
        _optional_path,
        "Path of a JWK Set file with the issuer's public keys. A relative path is resolved "
        "against the working directory, so start it with `%(here)s/` in the ini file.",
    ),
    Setting(
        "public_key_files",
        "",
        _public_key_files,
        "PEM public keys or X.509 certificates, one per line as `KID=PATH`, or `PATH` for a "
        "key that verifies only tokens without `kid`. Paths resolve as in `jwks_file`.",
    ),
    Setting(
        "jwks_url",
        "",
        _jwks_url,
        "URL of the issuer's JWK Set (the `jwks_uri` of its discovery document), fetched "
        "when the first token arrives and cached. https only, except for a loopback host.",
    ),
    Setting(
        "jwks_cache_seconds",
        "300",
        _positive_int,
        "How long keys fetched from `jwks_url` are used before they are fetched again, in seconds.",
    ),
    Setting(
        "jwks_refresh_interval_seconds",
        "60",
        _positive_int,
        "Minimum time between two fetches of `jwks_url`, in seconds. A token naming an "
        "unknown `kid` triggers a fetch only when the last one is older than this.",
    ),
    Setting(
        "jwks_timeout_seconds",
        "5",
        _positive_seconds,
        "Socket timeout for connecting to `jwks_url` and for each read, in seconds.",
    ),
    Setting(
        "hmac_secret_env",
        "",
        _optional_text,
        "Name of an environment variable that contains a shared secret for HS256, HS384 or "
        "HS512. Required when `algorithms` lists one of them, and rejected otherwise.",
    ),
    Setting(
        "hmac_secret_kid",
        "",
        _optional_text,
        "The `kid` of the shared secret. Empty: the secret verifies only tokens without `kid`.",
    ),
    Setting(
        "leeway_seconds",
        "60",
        _leeway,
        "Clock skew allowed when checking `exp`, `nbf` and `iat`, in seconds; at most 300.",
    ),
    Setting(
        "user_claim",
        "sub",
        _required_text,
        "The claim that names the platform user, such as `sub`, `email` or "
        "`preferred_username`. Its value must be a string. With `email`, a token whose "
        "`email_verified` is false is rejected.",
    ),
    Setting(
        "user_attribute",
        "external_id",
        _user_attribute,
        "The user attribute that `user_claim` is matched against: `external_id` (exact), "
        "`user_name` or `email` (both ignore case), or `id`.",
    ),
)


@dataclass(frozen=True)
class OidcSettings:
    """The parsed settings, with the static keys already loaded."""

    issuer: str
    audiences: tuple[str, ...]
    algorithms: frozenset[str]
    leeway_seconds: int
    user_claim: str
    user_attribute: str
    static_keys: tuple[VerificationKey, ...]
    jwks_url: str | None
    jwks_cache_seconds: int
    jwks_refresh_interval_seconds: int
    jwks_timeout_seconds: float


def _invalid(key: str, message: str) -> ConfigurationError:
    return ConfigurationError(f"invalid setting {PREFIX}{key}: {message}")


def parse_values(plugin_settings: Mapping[str, Any]) -> dict[str, Any]:
    """Parse each setting on its own, with its default when the ini file leaves it out."""
    known = {setting.key for setting in SETTINGS}
    for key in plugin_settings:
        if key not in known:
            raise ConfigurationError(
                f"unknown setting {PREFIX}{key}. Check its spelling; the oidc plugin reads "
                + ", ".join(sorted(known))
            )

    values: dict[str, Any] = {}
    for setting in SETTINGS:
        raw = plugin_settings.get(setting.key, setting.default)
        try:
            values[setting.key] = setting.parse(str(raw))
        except ValueError as error:
            raise ConfigurationError(
                f"invalid setting {PREFIX}{setting.key} = {raw!r}: {error}"
            ) from error
    return values


def _keys_fitting(keys: list[VerificationKey], algorithms: frozenset[str]) -> list[VerificationKey]:
    """Drop the keys of a JWK Set that fit no allowed algorithm, logging each one.

    An issuer may publish keys for algorithms this server does not accept,
    so those are left out. A set with no usable key at all stops start-up.
    """
    fitting = [key for key in keys if key.algorithms & algorithms]
    for key in keys:
        if not key.algorithms & algorithms:
            log.warning(
                "ignoring key %r of %s: it fits only %s, which %salgorithms does not list",
                key.kid,
                key.origin,
                ", ".join(sorted(key.algorithms)),
                PREFIX,
            )
    if keys and not fitting:
        raise _invalid(
            "jwks_file",
            f"no key in {keys[0].origin} fits the algorithms that {PREFIX}algorithms lists",
        )
    return fitting


def _check_algorithms_fit(
    keys: list[VerificationKey], algorithms: frozenset[str], setting: str
) -> None:
    for key in keys:
        if not key.algorithms & algorithms:
            raise _invalid(
                setting,
                f"key {key.kid!r} of {key.origin} fits only {', '.join(sorted(key.algorithms))}, "
                f"which {PREFIX}algorithms does not list",
            )


def load_static_keys(
    values: Mapping[str, Any], environ: Mapping[str, str]
) -> list[VerificationKey]:
    """Load the keys named by ``jwks_file``, ``public_key_files`` and ``hmac_secret_env``."""
    algorithms: frozenset[str] = values["algorithms"]

    file_keys: list[VerificationKey] = []
    if values["jwks_file"] is not None:
        try:
            file_keys = load_jwks_file(values["jwks_file"])
        except UnusableKeyError as error:
            raise _invalid("jwks_file", str(error)) from error
        file_keys = _keys_fitting(file_keys, algorithms)

    pem_keys: list[VerificationKey] = []
    for kid, path in values["public_key_files"]:
        try:
            pem_keys.append(load_pem_file(path, kid))
        except UnusableKeyError as error:
            raise _invalid("public_key_files", str(error)) from error
    _check_algorithms_fit(pem_keys, algorithms, "public_key_files")

    keys = file_keys + pem_keys
    variable = values["hmac_secret_env"]
    hmac_allowed = algorithms & HMAC_ALGORITHMS
    if hmac_allowed and variable is None:
        raise _invalid(
            "algorithms",
            f"{', '.join(sorted(hmac_allowed))} needs a shared secret; "
            f"set {PREFIX}hmac_secret_env to the name of the variable that contains it",
        )
    if variable is not None:
        if not hmac_allowed:
            raise _invalid(
                "hmac_secret_env",
                f"a shared secret is set but {PREFIX}algorithms lists no HMAC algorithm "
                "(HS256, HS384, HS512)",
            )
        secret = environ.get(variable)
        if not secret:
            raise _invalid("hmac_secret_env", f"environment variable {variable} is not set")
        try:
            keys.append(
                shared_secret_key(
                    secret.encode(), values["hmac_secret_kid"], hmac_allowed, variable
                )
            )
        except UnusableKeyError as error:
            raise _invalid("hmac_secret_env", str(error)) from error
    elif values["hmac_secret_kid"] is not None:
        raise _invalid(
            "hmac_secret_kid",
            f"a kid for the shared secret is set, but {PREFIX}hmac_secret_env is not",
        )

    return keys


def parse_oidc_settings(
    plugin_settings: Mapping[str, Any], environ: Mapping[str, str] | None = None
) -> OidcSettings:
    """Parse the plugin's settings and load its static keys.

    :param plugin_settings: the settings under ``access_platform.oidc.``,
        prefix removed.
    :param environ: where ``hmac_secret_env`` is looked up; ``os.environ``
        when ``None``.
    :raises ConfigurationError: naming the key whose value is missing or
        invalid.
    """
    values = parse_values(plugin_settings)
    keys = load_static_keys(values, os.environ if environ is None else environ)
    if not keys and values["jwks_url"] is None:
        raise ConfigurationError(
            f"the oidc plugin has no keys: set {PREFIX}jwks_file, {PREFIX}public_key_files, "
            f"{PREFIX}jwks_url or {PREFIX}hmac_secret_env"
        )
    return OidcSettings(
        issuer=values["issuer"],
        audiences=values["audience"],
        algorithms=values["algorithms"],
        leeway_seconds=values["leeway_seconds"],
        user_claim=values["user_claim"],
        user_attribute=values["user_attribute"],
        static_keys=tuple(keys),
        jwks_url=values["jwks_url"],
        jwks_cache_seconds=values["jwks_cache_seconds"],
        jwks_refresh_interval_seconds=values["jwks_refresh_interval_seconds"],
        jwks_timeout_seconds=values["jwks_timeout_seconds"],
    )


def settings_reference() -> str:
    """Return the settings table in Markdown, as the plugin's README shows it."""
    lines = ["| Key | Default | Meaning |", "| --- | --- | --- |"]
    for setting in SETTINGS:
        default = f"`{setting.default}`" if setting.default else "(empty)"
        lines.append(f"| `{PREFIX}{setting.key}` | {default} | {setting.help} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(settings_reference(), end="")
