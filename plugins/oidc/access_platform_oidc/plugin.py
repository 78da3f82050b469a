"""The ``oidc`` plugin: ``Authorization: Bearer <JWT>`` on ``/api/v1``.

Each request's token is verified by the :class:`TokenVerifier` that
``access_platform_configure`` stores on the registry, so that every app
built in one process keeps its own settings and key cache.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from access_platform.hookspecs import hookimpl
from access_platform.identity import AuthFailure, AuthResult, Identity
from access_platform.users.models import User, fold, fold_user_name
from access_platform_oidc.config import parse_oidc_settings
from access_platform_oidc.remote_jwks import RemoteJwks
from access_platform_oidc.verifier import TokenRejected, TokenVerifier, loggable, parse_jose_header

log = logging.getLogger(__name__)

METHOD_NAME = "oidc"
REGISTRY_ATTRIBUTE = "oidc_verifier"


def bearer_token(request: Any) -> str | None:
    """Return the credential of an ``Authorization: Bearer`` header, or ``None``."""
    scheme, _, credential = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return credential.strip() or None


def find_user(dbsession: Session, attribute: str, value: str) -> tuple[User | None, str]:
    """Return the one user whose ``attribute`` matches ``value``, or ``None`` and the reason.

    ``user_name`` and ``email`` are compared case-insensitively through their
    folded columns, ``external_id`` and ``id`` exactly.
    """
    conditions = {
        "id": lambda: User.id == value,
        "user_name": lambda: User.user_name_folded == fold_user_name(value),
        "email": lambda: User.email_folded == fold(value),
        "external_id": lambda: User.external_id == value,
    }
    # external_id and email are not unique, so a second match is looked for.
    users = dbsession.scalars(select(User).where(conditions[attribute]()).limit(2)).all()
    if not users:
        return None, f"no user has {attribute} {loggable(value)}"
    if len(users) > 1:
        return None, f"more than one user has {attribute} {loggable(value)}"
    user = users[0]
    if not user.is_active:
        return None, f"user {user.id} is {user.status}"
    return user, ""


class OidcPlugin:
    """Accepts JWT bearer tokens from one issuer as user credentials under ``/api/v1``."""

    @hookimpl
    def access_platform_configure(self, config: Any, plugin_settings: dict[str, Any]) -> None:
        settings = parse_oidc_settings(plugin_settings)
        remote = None
        if settings.jwks_url is not None:
            remote = RemoteJwks(
                settings.jwks_url,
                cache_seconds=settings.jwks_cache_seconds,
                refresh_interval_seconds=settings.jwks_refresh_interval_seconds,
                timeout_seconds=settings.jwks_timeout_seconds,
            )
        setattr(config.registry, REGISTRY_ATTRIBUTE, TokenVerifier(settings, remote))
        log.info(
            "oidc: accepting bearer tokens from %s for audience %s (algorithms %s, "
            "%d configured keys%s); users matched by %s = %s",
            settings.issuer,
            " ".join(settings.audiences),
            " ".join(sorted(settings.algorithms)),
            len(settings.static_keys),
            f", keys from {settings.jwks_url}" if remote is not None else "",
            settings.user_claim,
            settings.user_attribute,
        )

    @hookimpl
    def access_platform_authenticate(self, request: Any) -> AuthResult | None:
        # SCIM tokens are bearer tokens too, but /scim/v2 belongs to them.
        if request.api_surface != "api":
            return None
        token = bearer_token(request)
        if token is None:
            return None
        header = parse_jose_header(token)
        if header is None:
            return None

        verifier: TokenVerifier = getattr(request.registry, REGISTRY_ATTRIBUTE)
        try:
            verified = verifier.verify(token, header)
        except TokenRejected as rejected:
            return AuthFailure(METHOD_NAME, rejected.reason)

        claim = verifier.settings.user_claim
        value = verified.claims.get(claim)
        context = f"(kid={loggable(verified.kid)} iss={loggable(verified.claims.get('iss'))})"
        if not isinstance(value, str) or not value:
            return AuthFailure(METHOD_NAME, f"claim {claim} is missing or not a string {context}")
        # Some issuers let users type in an address they have not proven to own.
        if claim == "email" and verified.claims.get("email_verified") is False:
            return AuthFailure(METHOD_NAME, f"email_verified is false {context}")
        user, reason = find_user(request.dbsession, verifier.settings.user_attribute, value)
        if user is None:
            return AuthFailure(METHOD_NAME, f"{reason} {context}")

        jti = verified.claims.get("jti")
        return Identity(
            method=METHOD_NAME,
            principal_id=f"user:{user.id}",
            credential_id=jti if isinstance(jti, str) else None,
            user=user,
        )

    @hookimpl
    def access_platform_auth_challenges(self, request: Any) -> str | None:
        if request.api_surface != "api":
            return None
        # RFC 6750, section 3.1: the error code goes only to requests that
        # sent a bearer token, not to requests that sent no credential.
        if bearer_token(request) is not None:
            return 'Bearer realm="api", error="invalid_token"'
        return 'Bearer realm="api"'


oidc_plugin = OidcPlugin()
