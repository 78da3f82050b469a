"""Views for ``/api/v1/workspaces``."""

from __future__ import annotations

from typing import Any

from pyramid.view import view_config

from access_platform.audit.recorder import record_changes, record_created, record_deletion
from access_platform.db import lock_for_update
from access_platform.etags import check_if_match, set_etag
from access_platform.listing import ListQuery, envelope, fetch_page, invalid_parameter, max_limit
from access_platform.payloads import validated_body
from access_platform.rbac.permissions import AUTHENTICATED
from access_platform.responses import created, no_content, query_params
from access_platform.security import require_permission
from access_platform.workspaces import services
from access_platform.workspaces.models import Workspace
from access_platform.workspaces.resources import WorkspaceCollection, WorkspaceResource
from access_platform.workspaces.schemas import (
    WORKSPACE_READ_ONLY_FIELDS,
    WorkspaceCreateSchema,
    WorkspacePatchSchema,
)


def workspace_json(request: Any, workspace: Workspace) -> dict[str, Any]:
    return {
        "id": workspace.id,
        "name": workspace.name,
        "description": workspace.description,
        "created_at": workspace.created_at,
        "updated_at": workspace.updated_at,
    }


@view_config(
    context=WorkspaceCollection, request_method="GET", permission=AUTHENTICATED, renderer="json"
)
def list_workspaces(context: WorkspaceCollection, request: Any) -> dict[str, Any]:
    """List every workspace for tenant-wide readers, otherwise those the caller may read."""
    params = query_params(request)
    query = ListQuery.from_request(
        params, services.WORKSPACE_SORT_KEYS, "name", {"q"}, max_limit=max_limit(request)
    )
    statement = services.filtered_workspaces(params)

    effective = request.effective_permissions
    if effective is None or not effective.allows("workspaces.read", None):
        readable = sorted(
            workspace_id
            for workspace_id in (effective.workspaces() if effective else set())
            if effective.allows("workspaces.read", workspace_id)
        )
        if not readable:
            require_permission(request, "workspaces.read", None)
        statement = statement.where(Workspace.id.in_(readable))

    page = fetch_page(
        request.dbsession,
        statement,
        query,
        services.WORKSPACE_SORT_KEYS,
        Workspace.id,
    )
    return envelope(
        [workspace_json(request, item) for item in page.items], page.next_cursor, page.total
    )


@view_config(
    context=WorkspaceCollection,
    request_method="POST",
    permission="workspaces.write",
    renderer="json",
)
def create_workspace(context: WorkspaceCollection, request: Any) -> dict[str, Any]:
    body = validated_body(request, WorkspaceCreateSchema(), WORKSPACE_READ_ONLY_FIELDS)
    workspace = services.create_workspace(request.dbsession, body)
    record_created(request, "workspace.create", "workspace", workspace)
    created(
        request, request.application_url + f"/api/v1/workspaces/{workspace.id}", workspace.version
    )
    return workspace_json(request, workspace)


@view_config(
    context=WorkspaceResource, request_method="GET", permission="workspaces.read", renderer="json"
)
def get_workspace(context: WorkspaceResource, request: Any) -> dict[str, Any]:
    set_etag(request, context.workspace.version)
    return workspace_json(request, context.workspace)


@view_config(
    context=WorkspaceResource,
    request_method="PATCH",
    permission="workspaces.write",
    renderer="json",
)
def patch_workspace(context: WorkspaceResource, request: Any) -> dict[str, Any]:
    lock_for_update(request.dbsession, context.workspace)
    check_if_match(request, context.workspace.version)
    changes = validated_body(request, WorkspacePatchSchema(), WORKSPACE_READ_ONLY_FIELDS)
    with record_changes(request, "workspace.update", "workspace", context.workspace):
        workspace = services.update_workspace(request.dbsession, context.workspace, changes)
    set_etag(request, workspace.version)
    return workspace_json(request, workspace)


@view_config(context=WorkspaceResource, request_method="DELETE", permission="workspaces.write")
def delete_workspace(context: WorkspaceResource, request: Any) -> Any:
    lock_for_update(request.dbsession, context.workspace)
    check_if_match(request, context.workspace.version)
    force_text = request.GET.get("force", "false").lower()
    if force_text not in ("true", "false"):
        raise invalid_parameter("force", "expected true or false.")
    force = force_text == "true"
    with record_deletion(request, "workspace.delete", "workspace", context.workspace) as details:
        details["force"] = force
        details.update(services.delete_workspace(request.dbsession, context.workspace, force))
    return no_content(request)
