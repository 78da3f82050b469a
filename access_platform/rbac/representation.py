"""The JSON form of roles, permissions and role assignments."""

from __future__ import annotations

from typing import Any

from access_platform.rbac.models import Role, RoleAssignment
from access_platform.rbac.permissions import Permission


def role_json(request: Any, role: Role) -> dict[str, Any]:
    return {
        "id": role.id,
        "name": role.name,
        "description": role.description,
        "scope": role.scope,
        "permissions": role.permissions,
        "builtin": role.builtin,
        "created_at": role.created_at,
        "updated_at": role.updated_at,
    }


def permission_json(permission: Permission) -> dict[str, Any]:
    return {
        "name": permission.name,
        "resource": permission.resource,
        "description": permission.description,
        "plugin": permission.plugin,
    }


def assignment_json(request: Any, assignment: RoleAssignment) -> dict[str, Any]:
    return {
        "id": assignment.id,
        "role_id": assignment.role_id,
        "principal_type": assignment.principal_type,
        "principal_id": assignment.principal_id,
        "scope": "workspace" if assignment.workspace_id else "tenant",
        "workspace_id": assignment.workspace_id,
        "created_by": assignment.created_by,
        "created_at": assignment.created_at,
    }


def assignment_location(request: Any, assignment: RoleAssignment) -> str:
    return request.application_url + f"/api/v1/roleAssignments/{assignment.id}"
