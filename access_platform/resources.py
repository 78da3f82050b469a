"""The resource tree that traversal walks: one object per URL segment.

``/api/v1/users/{id}`` is ``root["api"]["v1"]["users"][id]``. Each resource
knows its ``__name__`` and ``__parent__``, raises ``KeyError`` for a child
it does not have, and inherits the ACL of the root unless it sets its own.
Views are registered for a resource class (the context), a request method
and a permission.
"""

from __future__ import annotations

from typing import Any

from pyramid.authorization import ALL_PERMISSIONS, Allow, Authenticated

from access_platform.audit.resources import AuditEventCollection
from access_platform.auth.resources import AuthResource
from access_platform.batch.resources import BatchResource
from access_platform.groups.resources import GroupCollection
from access_platform.invitations.resources import InvitationCollection
from access_platform.openapi.resources import OpenApiDocument
from access_platform.rbac.models import ALL_PERMISSIONS_NAME
from access_platform.rbac.permissions import (
    AUTHENTICATED,
    permission_principal,
)
from access_platform.rbac.resources import (
    PermissionCollection,
    RoleAssignmentCollection,
    RoleCollection,
)
from access_platform.scim.admin_resources import AdminResource
from access_platform.scim.resources import ScimV2
from access_platform.traversal import Resource
from access_platform.users.resources import UserCollection
from access_platform.workspaces.resources import WorkspaceCollection


class ApiV1(Resource):
    """``/api/v1``: the REST API."""

    children = {
        "auth": AuthResource,
        "users": UserCollection,
        "groups": GroupCollection,
        "$batch": BatchResource,
        "workspaces": WorkspaceCollection,
        "roles": RoleCollection,
        "permissions": PermissionCollection,
        "roleAssignments": RoleAssignmentCollection,
        "invitations": InvitationCollection,
        "admin": AdminResource,
        "openapi.json": OpenApiDocument,
        "auditEvents": AuditEventCollection,
    }


class ApiNamespace(Resource):
    children = {"v1": ApiV1}


class ScimNamespace(Resource):
    children = {"v2": ScimV2}


class Liveness(Resource):
    """``/healthz``."""


class Readiness(Resource):
    """``/readyz``."""


class Root(Resource):
    """The root of the tree and of every ACL.

    Permission ``p`` is granted to the principal ``perm:p``, which the
    security policy gives to users whose roles include ``p``.
    """

    children = {
        "api": ApiNamespace,
        "scim": ScimNamespace,
        "healthz": Liveness,
        "readyz": Readiness,
    }

    @property
    def __acl__(self) -> list[tuple[Any, ...]]:
        return self.request.registry.root_acl


def build_root_acl(permission_names: list[str]) -> list[tuple[Any, ...]]:
    """Return the root ACL for the permission catalogue."""
    acl: list[tuple[Any, ...]] = [
        (Allow, permission_principal(ALL_PERMISSIONS_NAME), ALL_PERMISSIONS),
        (Allow, Authenticated, AUTHENTICATED),
    ]
    acl.extend((Allow, permission_principal(name), name) for name in permission_names)
    return acl


def root_factory(request: Any) -> Root:
    return Root(request)


def includeme(config: Any) -> None:
    config.set_root_factory(root_factory)
