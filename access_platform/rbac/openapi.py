"""OpenAPI operations and schemas of roles, the permission catalogue and role assignments."""

from __future__ import annotations

import copy
from typing import Any

from access_platform.openapi.colander_schema import json_schema
from access_platform.openapi.components import (
    BOOLEAN,
    ID,
    JSON_MEDIA_TYPE,
    MERGE_PATCH_MEDIA_TYPE,
    NULLABLE_ID,
    NULLABLE_STRING,
    STRING,
    TIMESTAMP,
    list_parameters,
    obj,
    page_of,
    query_parameter,
    ref,
)
from access_platform.openapi.operation import Operation
from access_platform.rbac.catalogue import PERMISSION_SORT_KEYS
from access_platform.rbac.models import PRINCIPAL_TYPES, ROLE_SCOPES
from access_platform.rbac.schemas import (
    AssignmentCreateSchema,
    RoleCreateSchema,
    RolePatchSchema,
    WorkspaceAssignmentCreateSchema,
)
from access_platform.rbac.services import ASSIGNMENT_SORT_KEYS, ROLE_SORT_KEYS

ROLES = "Roles and permissions"
ASSIGNMENTS = "Role assignments"

SCOPE = {"type": "string", "enum": list(ROLE_SCOPES)}
PRINCIPAL_TYPE = {"type": "string", "enum": list(PRINCIPAL_TYPES)}


def _names_from_catalogue(schema: dict[str, Any]) -> dict[str, Any]:
    """Return a role body schema whose permissions must be names from the catalogue.

    The catalogue depends on the enabled plugins, so the document builder
    adds the PermissionName component for each app.
    """
    schema = copy.deepcopy(schema)
    schema["properties"]["permissions"]["items"] = ref("PermissionName")
    return schema


SCHEMAS = {
    "Role": obj(
        {
            "id": ID,
            "name": STRING,
            "description": NULLABLE_STRING,
            "scope": SCOPE,
            "permissions": {
                "type": "array",
                "items": STRING,
                "description": "Permission names; * means every permission.",
            },
            "builtin": BOOLEAN,
            "created_at": TIMESTAMP,
            "updated_at": TIMESTAMP,
        }
    ),
    "RoleCreate": _names_from_catalogue(json_schema(RoleCreateSchema())),
    "RolePatch": _names_from_catalogue(json_schema(RolePatchSchema())),
    "Permission": obj(
        {
            "name": STRING,
            "resource": STRING,
            "description": STRING,
            "plugin": {"type": "string", "description": "core, or the plugin that defines it."},
        }
    ),
    "RoleAssignment": obj(
        {
            "id": ID,
            "role_id": ID,
            "principal_type": PRINCIPAL_TYPE,
            "principal_id": ID,
            "scope": SCOPE,
            "workspace_id": NULLABLE_ID,
            "created_by": NULLABLE_ID,
            "created_at": TIMESTAMP,
        }
    ),
    "RoleAssignmentCreate": json_schema(AssignmentCreateSchema()),
    "WorkspaceRoleAssignmentCreate": json_schema(WorkspaceAssignmentCreateSchema()),
}

ASSIGNMENT_FILTERS = (
    query_parameter("principal_type", PRINCIPAL_TYPE, "Exact principal type."),
    query_parameter("principal_id", STRING, "Exact principal id."),
    query_parameter("role_id", STRING, "Exact role id."),
)

OPERATIONS = (
    Operation(
        "GET",
        "/roles",
        "listRoles",
        "List roles",
        ROLES,
        permission="roles.read",
        query=list_parameters(
            list(ROLE_SORT_KEYS),
            "name",
            (
                query_parameter("scope", SCOPE, "Exact scope."),
                query_parameter("builtin", BOOLEAN, "Only built-in roles, or only custom ones."),
                query_parameter("q", STRING, "Case-insensitive prefix of the name."),
            ),
        ),
        response=page_of(ref("Role")),
    ),
    Operation(
        "POST",
        "/roles",
        "createRole",
        "Create a role",
        ROLES,
        description="The caller must hold every permission the role lists, at its scope.",
        permission="roles.write",
        body=ref("RoleCreate"),
        status=201,
        response=ref("Role"),
        response_headers=("Location", "ETag"),
        errors=(409,),
        creates="/roles/{roleId}",
    ),
    Operation(
        "GET",
        "/roles/{roleId}",
        "getRole",
        "Get a role",
        ROLES,
        permission="roles.read",
        response=ref("Role"),
        response_headers=("ETag",),
    ),
    Operation(
        "PATCH",
        "/roles/{roleId}",
        "updateRole",
        "Change a role",
        ROLES,
        description="A JSON merge patch. Built-in roles cannot change, nor can scope.",
        permission="roles.write",
        headers=("IfMatch",),
        body=ref("RolePatch"),
        body_media_types=(JSON_MEDIA_TYPE, MERGE_PATCH_MEDIA_TYPE),
        response=ref("Role"),
        response_headers=("ETag",),
        errors=(409,),
    ),
    Operation(
        "DELETE",
        "/roles/{roleId}",
        "deleteRole",
        "Delete a role",
        ROLES,
        description="Built-in roles and roles still assigned cannot be deleted.",
        permission="roles.write",
        headers=("IfMatch",),
        status=204,
        errors=(409,),
    ),
    Operation(
        "GET",
        "/permissions",
        "listPermissions",
        "List the permission catalogue",
        ROLES,
        permission="roles.read",
        query=list_parameters(
            list(PERMISSION_SORT_KEYS),
            "name",
            (
                query_parameter("resource", STRING, "Exact resource, such as users."),
                query_parameter("plugin", STRING, "core, or a plugin name."),
                query_parameter("q", STRING, "Case-insensitive substring of name or description."),
            ),
        ),
        response=page_of(ref("Permission")),
    ),
    Operation(
        "GET",
        "/roleAssignments",
        "listRoleAssignments",
        "List role assignments",
        ASSIGNMENTS,
        description="Needs the `role_assignments.read` permission tenant-wide, or in the "
        "workspace that workspace_id names.",
        query=list_parameters(
            list(ASSIGNMENT_SORT_KEYS),
            "created_at",
            (
                *ASSIGNMENT_FILTERS,
                query_parameter("workspace_id", STRING, "Exact workspace id."),
            ),
        ),
        response=page_of(ref("RoleAssignment")),
    ),
    Operation(
        "POST",
        "/roleAssignments",
        "createRoleAssignment",
        "Assign a role",
        ASSIGNMENTS,
        description="Needs the `role_assignments.write` permission at the scope the body "
        "names, and every permission of the role there.",
        body=ref("RoleAssignmentCreate"),
        status=201,
        response=ref("RoleAssignment"),
        response_headers=("Location",),
        errors=(404, 409),
        creates="/roleAssignments/{assignmentId}",
    ),
    Operation(
        "GET",
        "/roleAssignments/{assignmentId}",
        "getRoleAssignment",
        "Get a role assignment",
        ASSIGNMENTS,
        permission="role_assignments.read",
        response=ref("RoleAssignment"),
    ),
    Operation(
        "DELETE",
        "/roleAssignments/{assignmentId}",
        "deleteRoleAssignment",
        "Remove a role assignment",
        ASSIGNMENTS,
        permission="role_assignments.write",
        status=204,
    ),
    Operation(
        "GET",
        "/workspaces/{workspaceId}/roleAssignments",
        "listWorkspaceRoleAssignments",
        "List a workspace's role assignments",
        ASSIGNMENTS,
        permission="role_assignments.read",
        query=list_parameters(list(ASSIGNMENT_SORT_KEYS), "created_at", ASSIGNMENT_FILTERS),
        response=page_of(ref("RoleAssignment")),
    ),
    Operation(
        "POST",
        "/workspaces/{workspaceId}/roleAssignments",
        "createWorkspaceRoleAssignment",
        "Assign a role in a workspace",
        ASSIGNMENTS,
        description="The role must be workspace-scoped, and the caller must hold its "
        "permissions in the workspace.",
        permission="role_assignments.write",
        body=ref("WorkspaceRoleAssignmentCreate"),
        status=201,
        response=ref("RoleAssignment"),
        response_headers=("Location",),
        errors=(409,),
        creates="/roleAssignments/{assignmentId}",
    ),
)
