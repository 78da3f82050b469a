"""OpenAPI operations and schemas of ``/api/v1/workspaces``."""

from __future__ import annotations

from access_platform.openapi.colander_schema import json_schema
from access_platform.openapi.components import (
    ID,
    JSON_MEDIA_TYPE,
    MERGE_PATCH_MEDIA_TYPE,
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
from access_platform.workspaces.schemas import WorkspaceCreateSchema, WorkspacePatchSchema
from access_platform.workspaces.services import WORKSPACE_SORT_KEYS

TAG = "Workspaces"

SCHEMAS = {
    "Workspace": obj(
        {
            "id": ID,
            "name": STRING,
            "description": NULLABLE_STRING,
            "created_at": TIMESTAMP,
            "updated_at": TIMESTAMP,
        }
    ),
    "WorkspaceCreate": json_schema(WorkspaceCreateSchema()),
    "WorkspacePatch": json_schema(WorkspacePatchSchema()),
}

OPERATIONS = (
    Operation(
        "GET",
        "/workspaces",
        "listWorkspaces",
        "List workspaces",
        TAG,
        description="Callers with the `workspaces.read` permission tenant-wide see every "
        "workspace; others see the workspaces where they hold it.",
        query=list_parameters(
            list(WORKSPACE_SORT_KEYS),
            "name",
            (query_parameter("q", STRING, "Case-insensitive prefix of the name."),),
        ),
        response=page_of(ref("Workspace")),
    ),
    Operation(
        "POST",
        "/workspaces",
        "createWorkspace",
        "Create a workspace",
        TAG,
        permission="workspaces.write",
        body=ref("WorkspaceCreate"),
        status=201,
        response=ref("Workspace"),
        response_headers=("Location", "ETag"),
        errors=(409,),
        creates="/workspaces/{workspaceId}",
    ),
    Operation(
        "GET",
        "/workspaces/{workspaceId}",
        "getWorkspace",
        "Get a workspace",
        TAG,
        permission="workspaces.read",
        response=ref("Workspace"),
        response_headers=("ETag",),
    ),
    Operation(
        "PATCH",
        "/workspaces/{workspaceId}",
        "updateWorkspace",
        "Change a workspace",
        TAG,
        description="A JSON merge patch: only the fields sent change.",
        permission="workspaces.write",
        headers=("IfMatch",),
        body=ref("WorkspacePatch"),
        body_media_types=(JSON_MEDIA_TYPE, MERGE_PATCH_MEDIA_TYPE),
        response=ref("Workspace"),
        response_headers=("ETag",),
        errors=(409,),
    ),
    Operation(
        "DELETE",
        "/workspaces/{workspaceId}",
        "deleteWorkspace",
        "Delete a workspace",
        TAG,
        description="A workspace with role assignments or pending invitations gets 409 "
        "unless force=true, which removes them too.",
        permission="workspaces.write",
        query=(
            query_parameter(
                "force",
                {"type": "boolean", "default": False},
                "true also removes the workspace's role assignments and invitations.",
            ),
        ),
        headers=("IfMatch",),
        status=204,
        errors=(409,),
    ),
)
