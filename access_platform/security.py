"""The security policy: auth-method plugins for identity, ACLs for permission.

Pyramid asks the policy for the identity once per request; the policy asks
the enabled auth-method plugins (first result wins) and caches the answer
on the request. Permission checks walk the resource tree's ``__acl__``
with the principals of that identity.
"""

from __future__ import annotations

import hmac
import logging
from typing import Any

from pyramid.authorization import ACLHelper, Authenticated, Everyone
from pyramid.security import NO_PERMISSION_REQUIRED

from access_platform.db import PARENT_REQUEST_KEY
from access_platform.errors import CSRF_FAILED, ApiError
from access_platform.identity import AuthFailure, AuthResult, Identity
from access_platform.rbac.effective import EffectivePermissions, effective_permissions
from access_platform.rbac.permissions import permission_principal

log = logging.getLogger(__name__)

CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def authenticate(request: Any) -> AuthResult | None:
    """Ask the auth-method plugins about ``request``; reified as ``request.authentication``.

    A $batch subrequest carries no credentials of its own: it acts as the
    batch request's identity.
    """
    parent = request.environ.get(PARENT_REQUEST_KEY)
    if parent is not None:
        return parent.authentication

    result = request.registry.plugin_manager.hook.access_platform_authenticate(request=request)
    if isinstance(result, AuthFailure):
        log.info(
            "authentication failed: method=%s reason=%s request_id=%s",
            result.method,
            result.reason,
            request.request_id,
        )
    return result


def request_effective_permissions(request: Any) -> EffectivePermissions | None:
    """Return the caller's grants; reified as ``request.effective_permissions``.

    ``None`` for callers that are not users, such as SCIM tokens.
    """
    parent = request.environ.get(PARENT_REQUEST_KEY)
    if parent is not None:
        return parent.effective_permissions
    identity = request.identity
    if identity is None or identity.user is None:
        return None
    return effective_permissions(request.dbsession, identity.user)


def workspace_scope(context: Any) -> str | None:
    """Return the id of the workspace ``context`` lies in, or ``None`` for tenant-wide resources.

    A resource states its workspace with a ``workspace_id`` attribute; the
    nearest one up the tree counts.
    """
    node = context
    while node is not None:
        workspace_id = getattr(node, "workspace_id", None)
        if workspace_id is not None:
            return workspace_id
        node = getattr(node, "__parent__", None)
    return None


def principals_at(request: Any, workspace_id: str | None) -> list[str]:
    """Return the ACL principals of the caller at the scope of ``workspace_id``."""
    # A $batch subrequest shares its parent's identity, so it shares the cache.
    owner = request.environ.get(PARENT_REQUEST_KEY, request)
    cache = owner.environ.setdefault("access_platform.principals", {})
    if workspace_id in cache:
        return cache[workspace_id]

    principals = [Everyone]
    identity = request.identity
    if identity is not None:
        principals.append(Authenticated)
        principals.append(identity.principal_id)
        principals.extend(identity.principals)
        effective = request.effective_permissions
        if effective is not None:
            principals.extend(
                permission_principal(name) for name in sorted(effective.names_at(workspace_id))
            )
    cache[workspace_id] = principals
    return principals


def require_permission(request: Any, permission: str, workspace_id: str | None) -> None:
    """Raise 403 unless the caller holds ``permission`` at the scope of ``workspace_id``.

    For views whose scope comes from the request body rather than the URL.
    """
    effective = request.effective_permissions
    if effective is not None and effective.allows(permission, workspace_id):
        return
    where = f"in workspace {workspace_id}" if workspace_id else "tenant-wide"
    raise ApiError(
        403,
        f"This request needs the {permission} permission {where}, which the caller does not hold.",
    )


class PlatformSecurityPolicy:
    """Pyramid security policy backed by the auth-method hooks and resource ACLs."""

    def __init__(self) -> None:
        self.acl = ACLHelper()

    def identity(self, request: Any) -> Identity | None:
        result = request.authentication
        return result if isinstance(result, Identity) else None

    def authenticated_userid(self, request: Any) -> str | None:
        identity = request.identity
        return identity.principal_id if identity is not None else None

    def permits(self, request: Any, context: Any, permission: str) -> Any:
        principals = principals_at(request, workspace_scope(context))
        return self.acl.permits(context, principals, permission)

    def remember(self, request: Any, userid: str, **kw: Any) -> list[tuple[str, str]]:
        # Sessions set their cookie in the login view; nothing else remembers.
        return []

    def forget(self, request: Any, **kw: Any) -> list[tuple[str, str]]:
        return []


def csrf_view_deriver(view: Any, info: Any) -> Any:
    """Wrap protected views so that cookie-authenticated unsafe requests need the CSRF token.

    Requests authenticated by a header credential (API key, bearer token) do
    not need it: a browser never adds those headers on its own, so a forged
    cross-site request cannot carry them.
    """
    permission = info.options.get("permission")
    if permission is None or permission == NO_PERMISSION_REQUIRED:
        return view

    def checked_view(context: Any, request: Any) -> Any:
        # A $batch subrequest was covered by the check on the batch itself.
        is_subrequest = PARENT_REQUEST_KEY in request.environ
        if request.method not in SAFE_METHODS and not is_subrequest:
            identity = request.identity
            if identity is not None and identity.csrf_token is not None:
                sent = request.headers.get(CSRF_HEADER, "")
                if not hmac.compare_digest(sent.encode(), identity.csrf_token.encode()):
                    raise ApiError(
                        403,
                        f"The {CSRF_HEADER} header is missing or does not match this session; "
                        "send the csrf_token from GET /api/v1/auth/session.",
                        type=CSRF_FAILED,
                        title="CSRF token missing or invalid",
                    )
        return view(context, request)

    return checked_view


def api_surface(request: Any) -> str | None:
    """Return ``"api"`` under ``/api/v1``, ``"scim"`` under ``/scim/v2``, otherwise ``None``."""
    path = request.path_info
    if path == "/api/v1" or path.startswith("/api/v1/"):
        return "api"
    if path == "/scim/v2" or path.startswith("/scim/v2/"):
        return "scim"
    return None


def includeme(config: Any) -> None:
    config.set_security_policy(PlatformSecurityPolicy())
    config.add_request_method(authenticate, "authentication", reify=True)
    config.add_request_method(request_effective_permissions, "effective_permissions", reify=True)
    config.add_request_method(api_surface, "api_surface", reify=True)
    # Right inside the permission check, so that view decorators such as
    # the idempotency replay only ever see requests that passed it.
    config.add_view_deriver(
        csrf_view_deriver, name="csrf_check", under="secured_view", over="owrapped_view"
    )
