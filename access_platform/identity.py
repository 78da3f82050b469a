"""What an auth method returns: an identity, or a failure that ends authentication."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from access_platform.users.models import User


@dataclass(frozen=True)
class Identity:
    """An authenticated principal and how it was authenticated.

    :ivar method: name of the auth method, such as ``"api_key"``.
    :ivar principal_id: ``"user:<id>"`` for users, ``"scim_token:<id>"`` for
        SCIM tokens.
    :ivar credential_id: id of the key, session or token used.
    :ivar user: the platform user, for methods that authenticate users.
    :ivar csrf_token: set when the credential is an ambient cookie, so that
        unsafe requests must repeat this value in the ``X-CSRF-Token`` header.
    :ivar principals: extra ACL principals the method grants, such as the
        scopes of a SCIM token.
    """

    method: str
    principal_id: str
    credential_id: str | None = None
    user: User | None = None
    csrf_token: str | None = None
    principals: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class AuthFailure:
    """A credential that an auth method recognised and rejected.

    :ivar method: name of the auth method.
    :ivar reason: why, for the log; clients get a generic 401 detail so that
        a probe cannot tell an unknown key from a revoked one.
    """

    method: str
    reason: str


AuthResult = Identity | AuthFailure
