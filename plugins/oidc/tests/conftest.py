"""Fixtures for the oidc plugin's tests: issuer keys, a JWK Set file, the app with the plugin."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from oidc_helpers import INI_FILE, SigningKey, ec_key, jwk_set, rsa_key, write_json

from access_platform.testing import Platform


@pytest.fixture(scope="session")
def rsa_signing_key() -> SigningKey:
    return rsa_key("rsa-1")


@pytest.fixture(scope="session")
def ec_signing_key() -> SigningKey:
    return ec_key("ec-1")


@pytest.fixture(scope="session")
def impostor_key() -> SigningKey:
    """A key that the issuer does not publish, under the kid of the issuer's RSA key."""
    return rsa_key("rsa-1")


@pytest.fixture
def jwks_file(tmp_path: Path, rsa_signing_key: SigningKey, ec_signing_key: SigningKey) -> Path:
    return write_json(tmp_path / "jwks.json", jwk_set(rsa_signing_key, ec_signing_key))


@pytest.fixture
def oidc_platform(platform: Callable[..., Platform], jwks_file: Path) -> Callable[..., Platform]:
    """Build the app from oidc_test.ini with the JWK Set file; keyword arguments add settings."""

    def build(**settings: str) -> Platform:
        merged = {"access_platform.oidc.jwks_file": str(jwks_file)}
        merged.update({f"access_platform.oidc.{key}": value for key, value in settings.items()})
        return platform(ini_file=INI_FILE, settings=merged)

    return build
