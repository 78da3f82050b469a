"""The built-in auth methods for ``/api/v1``: API keys and browser sessions."""

from __future__ import annotations

from typing import Any

from access_platform.auth import services
from access_platform.hookspecs import hookimpl
from access_platform.identity import AuthFailure, AuthResult, Identity

API_KEY_HEADER = "X-API-Key"


class ApiKeyMethod:
    """Service clients send ``X-API-Key: <key>``; accepted under ``/api/v1`` only."""

    name = "api_key"

    @hookimpl
    def access_platform_authenticate(self, request: Any) -> AuthResult | None:
        if request.api_surface != "api":
            return None
        secret = request.headers.get(API_KEY_HEADER)
        if secret is None:
            return None

        api_key, reason = services.find_api_key(request.dbsession, secret)
        if api_key is None:
            return AuthFailure(self.name, reason)

        services.touch(request, api_key)
        return Identity(
            method=self.name,
            principal_id=f"user:{api_key.user_id}",
            credential_id=api_key.id,
            user=api_key.user,
        )

    @hookimpl
    def access_platform_auth_challenges(self, request: Any) -> str | None:
        if request.api_surface != "api":
            return None
        return f'ApiKey realm="access-platform", header="{API_KEY_HEADER}"'


class SessionCookieMethod:
    """Browsers send the session cookie that ``POST /api/v1/auth/login`` set; ``/api/v1`` only.

    The identity carries the session's CSRF token, so unsafe requests that
    rely on the cookie must repeat it in the ``X-CSRF-Token`` header.
    """

    name = "session"

    @hookimpl
    def access_platform_authenticate(self, request: Any) -> AuthResult | None:
        if request.api_surface != "api":
            return None
        cookie_name = request.registry.settings["access_platform.session.cookie_name"]
        token = request.cookies.get(cookie_name)
        if not token:
            return None

        browser_session, reason = services.find_session(request.dbsession, token)
        if browser_session is None:
            return AuthFailure(self.name, reason)

        services.touch(request, browser_session)
        return Identity(
            method=self.name,
            principal_id=f"user:{browser_session.user_id}",
            credential_id=browser_session.id,
            user=browser_session.user,
            csrf_token=browser_session.csrf_token,
        )
