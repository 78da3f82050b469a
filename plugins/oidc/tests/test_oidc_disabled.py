"""The app with the oidc plugin installed but not enabled behaves as it does without it."""

from __future__ import annotations

import logging

from oidc_helpers import INI_FILE, bearer, mint

from access_platform.plugins import enabled_plugin_names

CORE_API_DETAIL = (
    "Authentication required: send an X-API-Key header, a session cookie, "
    "or a credential of a method that WWW-Authenticate names."
)


def test_jwt_gets_normal_401(platform, rsa_signing_key, caplog) -> None:
    running = platform(ini_file=INI_FILE, settings={"access_platform.plugins": ""})
    caplog.set_level(logging.INFO)

    response = running.testapp.get(
        "/api/v1/users", headers=bearer(mint(rsa_signing_key, "idp-anyone")), status=401
    )

    assert response.json["detail"] == CORE_API_DETAIL
    assert "Bearer" not in response.headers["WWW-Authenticate"]
    assert "authentication failed" not in caplog.text
    assert "oidc" not in enabled_plugin_names(running.registry.plugin_manager)


def test_api_key_works(platform, rsa_signing_key) -> None:
    running = platform(ini_file=INI_FILE, settings={"access_platform.plugins": ""})
    headers = {**bearer(mint(rsa_signing_key, "idp-anyone")), **running.admin.headers}

    session = running.testapp.get("/api/v1/auth/session", headers=headers, status=200)

    assert session.json["auth_method"] == "api_key"
