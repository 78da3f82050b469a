"""The oidc plugin's settings: defaults, and each invalid value stopping start-up with its key."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from access_platform_oidc.config import parse_oidc_settings, settings_reference
from cryptography.hazmat.primitives.asymmetric import ec
from oidc_helpers import AUDIENCE, INI_FILE, ISSUER, ec_key, jwk_set, rsa_key, write_json
from pyramid.exceptions import ConfigurationError

PREFIX = "access_platform.oidc."


@pytest.fixture
def base_settings(jwks_file: Path) -> dict[str, str]:
    return {"issuer": ISSUER, "audience": AUDIENCE, "jwks_file": str(jwks_file)}


def rejected(settings: dict[str, str], environ: dict[str, str] | None = None) -> str:
    """Parse ``settings``, expecting a ConfigurationError, and return its message."""
    with pytest.raises(ConfigurationError) as caught:
        parse_oidc_settings(settings, environ or {})
    return str(caught.value)


def test_defaults(base_settings) -> None:
    parsed = parse_oidc_settings(base_settings, {})

    assert parsed.algorithms == {"RS256", "ES256"}
    assert parsed.leeway_seconds == 60
    assert parsed.user_claim == "sub"
    assert parsed.user_attribute == "external_id"
    assert parsed.jwks_url is None
    assert parsed.jwks_cache_seconds == 300
    assert parsed.jwks_refresh_interval_seconds == 60
    assert parsed.jwks_timeout_seconds == 5
    assert sorted(key.kid for key in parsed.static_keys) == ["ec-1", "rsa-1"]


def test_settings_reference_lists_every_key(base_settings) -> None:
    reference = settings_reference()

    for key in ("issuer", "audience", "algorithms", "jwks_file", "public_key_files", "jwks_url"):
        assert f"`{PREFIX}{key}`" in reference


def test_readme_lists_every_setting() -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")

    assert settings_reference() in readme


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("algorithms", "RS256 none", "would accept unsigned tokens"),
        ("algorithms", "NONE", "would accept unsigned tokens"),
        ("algorithms", "RS256 XS999", "'XS999' is not a supported algorithm"),
        ("algorithms", " ", "at least one algorithm is required"),
        ("issuer", "", "a value is required"),
        ("audience", "", "at least one value is required"),
        ("leeway_seconds", "-1", "expected zero or a positive integer"),
        ("leeway_seconds", "3600", "at most 300 seconds"),
        ("leeway_seconds", "soon", "invalid literal"),
        ("jwks_cache_seconds", "0", "expected a positive integer"),
        ("jwks_timeout_seconds", "0", "expected a positive number of seconds"),
        ("user_attribute", "password_hash", "expected one of id, user_name, email, external_id"),
        ("user_claim", " ", "a value is required"),
        ("jwks_url", "http://idp.example.test/jwks", "Plain http is accepted only for a loopback"),
        ("jwks_url", "ftp://127.0.0.1/jwks", "Plain http is accepted only for a loopback"),
        ("jwks_url", "/jwks.json", "expected an absolute https URL"),
        ("public_key_files", "=/tmp/key.pem", "expected KID=PATH or PATH"),
    ],
)
def test_invalid_value_names_key(base_settings, key: str, value: str, message: str) -> None:
    error = rejected({**base_settings, key: value})

    assert f"invalid setting {PREFIX}{key} = " in error
    assert message in error


def test_unknown_key_named(base_settings) -> None:
    error = rejected({**base_settings, "audiences": "typo"})

    assert f"unknown setting {PREFIX}audiences" in error


def test_missing_issuer_named(base_settings) -> None:
    del base_settings["issuer"]

    assert f"{PREFIX}issuer" in rejected(base_settings)


def test_no_key_source(base_settings) -> None:
    del base_settings["jwks_file"]

    assert "the oidc plugin has no keys" in rejected(base_settings)


def test_loopback_http_jwks_url_accepted(base_settings) -> None:
    for url in ("http://127.0.0.1:8080/jwks", "http://localhost/jwks", "http://[::1]:9/jwks"):
        parsed = parse_oidc_settings({**base_settings, "jwks_url": url}, {})

        assert parsed.jwks_url == url


# --- Key files ------------------------------------------------------------------


def test_missing_jwks_file(base_settings, tmp_path: Path) -> None:
    error = rejected({**base_settings, "jwks_file": str(tmp_path / "absent.json")})

    assert f"invalid setting {PREFIX}jwks_file" in error
    assert "absent.json" in error


def test_jwks_file_not_json(base_settings, tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    path.write_text("not json", encoding="utf-8")

    assert "is not valid JSON" in rejected({**base_settings, "jwks_file": str(path)})


def test_jwks_file_not_a_set(base_settings, tmp_path: Path) -> None:
    path = write_json(tmp_path / "keys.json", [1, 2])

    assert "is not a JWK Set" in rejected({**base_settings, "jwks_file": str(path)})


def test_jwks_file_with_private_key(base_settings, tmp_path: Path) -> None:
    signing = rsa_key("private-1")
    jwk = signing.public_jwk(d="AQAB")
    path = write_json(tmp_path / "keys.json", {"keys": [jwk]})

    error = rejected({**base_settings, "jwks_file": str(path)})

    assert "key 'private-1' contains private key members (d)" in error
    assert "AQAB" not in error


def test_jwks_file_with_symmetric_key(base_settings, tmp_path: Path) -> None:
    path = write_json(
        tmp_path / "keys.json", {"keys": [{"kty": "oct", "kid": "s", "k": "c2VjcmV0"}]}
    )

    error = rejected({**base_settings, "jwks_file": str(path)})

    assert "symmetric key (kty oct)" in error
    assert "c2VjcmV0" not in error


def test_jwks_file_with_short_rsa_key(base_settings, tmp_path: Path) -> None:
    path = write_json(tmp_path / "keys.json", jwk_set(rsa_key("weak", bits=1024)))

    assert "the RSA key has 1024 bits" in rejected({**base_settings, "jwks_file": str(path)})


def test_jwks_key_alg_must_fit_type(base_settings, tmp_path: Path) -> None:
    jwk = ec_key("ec-rs").public_jwk(alg="RS256")
    path = write_json(tmp_path / "keys.json", {"keys": [jwk]})

    error = rejected({**base_settings, "jwks_file": str(path)})

    assert "key 'ec-rs': its alg 'RS256' does not fit the key" in error


def test_jwks_key_alg_narrows_algorithms(base_settings, tmp_path: Path) -> None:
    jwk = rsa_key("ps-only").public_jwk(alg="PS256")
    path = write_json(tmp_path / "keys.json", {"keys": [jwk]})

    parsed = parse_oidc_settings(
        {**base_settings, "jwks_file": str(path), "algorithms": "RS256 PS256"}, {}
    )

    assert parsed.static_keys[0].algorithms == {"PS256"}


def test_jwks_skips_encryption_keys(base_settings, tmp_path: Path) -> None:
    document = {
        "keys": [
            rsa_key("enc").public_jwk(use="enc"),
            rsa_key("wrap").public_jwk(key_ops=["wrapKey"]),
            rsa_key("sig").public_jwk(use="sig"),
        ]
    }
    path = write_json(tmp_path / "keys.json", document)

    parsed = parse_oidc_settings({**base_settings, "jwks_file": str(path)}, {})

    assert [key.kid for key in parsed.static_keys] == ["sig"]


def test_jwks_key_for_other_algorithm_ignored(base_settings, tmp_path: Path, caplog) -> None:
    document = jwk_set(rsa_key("rsa-ok"), ec_key("p384", ec.SECP384R1(), "ES384"))
    path = write_json(tmp_path / "keys.json", document)
    caplog.set_level(logging.WARNING)

    parsed = parse_oidc_settings({**base_settings, "jwks_file": str(path)}, {})

    assert [key.kid for key in parsed.static_keys] == ["rsa-ok"]
    assert "ignoring key 'p384'" in caplog.text


def test_jwks_without_fitting_key(base_settings, tmp_path: Path) -> None:
    path = write_json(tmp_path / "keys.json", jwk_set(ec_key("p384", ec.SECP384R1(), "ES384")))

    error = rejected({**base_settings, "jwks_file": str(path)})

    assert f"invalid setting {PREFIX}jwks_file" in error
    assert "no key in" in error


def test_pem_file_with_private_key(base_settings, tmp_path: Path) -> None:
    path = tmp_path / "private.pem"
    path.write_bytes(rsa_key(None).private_pem())

    error = rejected({**base_settings, "public_key_files": f"k1={path}"})

    assert f"invalid setting {PREFIX}public_key_files" in error
    assert "contains a private key" in error


def test_missing_pem_file(base_settings, tmp_path: Path) -> None:
    error = rejected({**base_settings, "public_key_files": str(tmp_path / "absent.pem")})

    assert f"invalid setting {PREFIX}public_key_files" in error
    assert "absent.pem" in error


def test_pem_file_for_unlisted_algorithm(base_settings, tmp_path: Path) -> None:
    path = tmp_path / "p384.pem"
    path.write_bytes(ec_key(None, ec.SECP384R1(), "ES384").public_pem())

    error = rejected({**base_settings, "public_key_files": str(path)})

    assert "fits only ES384" in error


# --- Shared secrets ----------------------------------------------------------------


def test_hmac_algorithm_needs_secret(base_settings) -> None:
    error = rejected({**base_settings, "algorithms": "RS256 HS256"})

    assert f"invalid setting {PREFIX}algorithms" in error
    assert "needs a shared secret" in error


def test_secret_without_hmac_algorithm(base_settings) -> None:
    error = rejected({**base_settings, "hmac_secret_env": "SECRET"}, {"SECRET": "s" * 64})

    assert f"invalid setting {PREFIX}hmac_secret_env" in error
    assert "lists no HMAC algorithm" in error


def test_secret_variable_unset(base_settings) -> None:
    settings = {**base_settings, "algorithms": "RS256 HS256", "hmac_secret_env": "SECRET"}

    assert "environment variable SECRET is not set" in rejected(settings, {})


def test_secret_too_short(base_settings) -> None:
    settings = {**base_settings, "algorithms": "RS256 HS512", "hmac_secret_env": "SECRET"}

    error = rejected(settings, {"SECRET": "s" * 40})

    assert "has 40 bytes; HS512 needs at least 64" in error


def test_secret_that_is_a_public_key(base_settings) -> None:
    settings = {**base_settings, "algorithms": "RS256 HS256", "hmac_secret_env": "SECRET"}
    public_pem = rsa_key(None).public_pem().decode()

    error = rejected(settings, {"SECRET": public_pem})

    assert "looks like a public key" in error


def test_secret_kid_without_secret(base_settings) -> None:
    error = rejected({**base_settings, "hmac_secret_kid": "shared"})

    assert f"invalid setting {PREFIX}hmac_secret_kid" in error


# --- Start-up ---------------------------------------------------------------------


def test_alg_none_stops_start_up(platform, jwks_file: Path) -> None:
    settings = {f"{PREFIX}jwks_file": str(jwks_file), f"{PREFIX}algorithms": "RS256 none"}

    with pytest.raises(ConfigurationError, match=f"{PREFIX}algorithms"):
        platform(ini_file=INI_FILE, settings=settings)


def test_missing_key_file_stops_start_up(platform, tmp_path: Path) -> None:
    settings = {f"{PREFIX}jwks_file": str(tmp_path / "absent.json")}

    with pytest.raises(ConfigurationError, match=f"{PREFIX}jwks_file"):
        platform(ini_file=INI_FILE, settings=settings)


def test_missing_keys_stop_start_up(platform) -> None:
    with pytest.raises(ConfigurationError, match="the oidc plugin has no keys"):
        platform(ini_file=INI_FILE)
