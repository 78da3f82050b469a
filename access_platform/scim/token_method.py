"""The built-in auth method for ``/scim/v2``: SCIM bearer tokens."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from access_platform import credentials
from access_platform.auth.services import touch
from access_platform.db import utcnow
from access_platform.hookspecs import hookimpl
from access_platform.identity import AuthFailure, AuthResult, Identity
from access_platform.scim.models import ScimToken


class ScimTokenMethod:
    """Identity providers send ``Authorization: Bearer <token>``; only under ``/scim/v2``."""

    name = "scim_token"

    @hookimpl
    def access_platform_authenticate(self, request: Any) -> AuthResult | None:
        if request.api_surface != "scim":
            return None
        scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            return None

        parsed = credentials.parse_secret(secret, credentials.SCIM_TOKEN_KIND)
        if parsed is None:
            return AuthFailure(self.name, "malformed SCIM token")
        token = request.dbsession.scalars(
            select(ScimToken).where(ScimToken.prefix == parsed.prefix)
        ).one_or_none()
        if token is None or not credentials.digests_match(parsed.value, token.secret_digest):
            return AuthFailure(self.name, f"unknown SCIM token (prefix {parsed.prefix})")
        if token.revoked_at is not None:
            return AuthFailure(self.name, f"revoked SCIM token {token.id}")
        if token.expires_at is not None and token.expires_at <= utcnow():
            return AuthFailure(self.name, f"expired SCIM token {token.id}")

        touch(request, token)
        return Identity(
            method=self.name,
            principal_id=f"scim_token:{token.id}",
            credential_id=token.id,
            principals=frozenset(f"scim:{scope}" for scope in token.scopes),
        )

    @hookimpl
    def access_platform_auth_challenges(self, request: Any) -> str | None:
        if request.api_surface != "scim":
            return None
        challenge = 'Bearer realm="scim"'
        if request.headers.get("Authorization"):
            challenge += ', error="invalid_token"'
        return challenge
