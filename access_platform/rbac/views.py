"""Views for roles, the permission catalogue and role assignments."""

from __future__ import annotations

from typing import Any

from pyramid.view import view_config

from access_platform.audit.recorder import record_changes, record_created, record_deletion
from access_platform.db import lock_for_update
from access_platform.etags import check_if_match, set_etag
from access_platform.listing import ListQuery, envelope, fetch_page, invalid_parameter, max_limit
from access_platform.payloads import validated_body
from access_platform.rbac import services
from access_platform.rbac.catalogue import permissions_page
from access_platform.rbac.models import ROLE_SCOPES, Role, RoleAssignment
from access_platform.rbac.permissions import AUTHENTICATED
from access_platform.rbac.representation import assignment_json, assignment_location, role_json
from access_platform.rbac.resources import (
    PermissionCollection,
    RoleAssignmentCollection,
    RoleAssignmentResource,
    RoleCollection,
    RoleResource,
)
from access_platform.rbac.schemas import (
    ASSIGNMENT_READ_ONLY_FIELDS,
    ROLE_READ_ONLY_FIELDS,
    AssignmentCreateSchema,
    RoleCreateSchema,
    RolePatchSchema,
    WorkspaceAssignmentCreateSchema,
)
from access_platform.responses import created, no_content, query_params
from access_platform.security import require_permission
from access_platform.workspaces.resources import WorkspaceRoleAssignments

# --- Roles ------------------------------------------------------------------------------


@view_config(context=RoleCollection, request_method="GET", permission="roles.read", renderer="json")
def list_roles(context: RoleCollection, request: Any) -> dict[str, Any]:
    params = query_params(request)
    query = ListQuery.from_request(
        params,
        services.ROLE_SORT_KEYS,
        "name",
        {"scope", "builtin", "q"},
        max_limit=max_limit(request),
    )
    if "scope" in params and params["scope"] not in ROLE_SCOPES:
        raise invalid_parameter("scope", "expected tenant or workspace.")
    if "builtin" in params and params["builtin"] not in ("true", "false"):
        raise invalid_parameter("builtin", "expected true or false.")

    page = fetch_page(
        request.dbsession, services.filtered_roles(params), query, services.ROLE_SORT_KEYS, Role.id
    )
    return envelope([role_json(request, role) for role in page.items], page.next_cursor, page.total)


@view_config(
    context=RoleCollection, request_method="POST", permission="roles.write", renderer="json"
)
def create_role(context: RoleCollection, request: Any) -> dict[str, Any]:
    body = validated_body(request, RoleCreateSchema(), ROLE_READ_ONLY_FIELDS)
    role = services.create_role(request, body)
    record_created(request, "role.create", "role", role, also=("permissions",))
    created(request, request.application_url + f"/api/v1/roles/{role.id}", role.version)
    return role_json(request, role)


@view_config(context=RoleResource, request_method="GET", permission="roles.read", renderer="json")
def get_role(context: RoleResource, request: Any) -> dict[str, Any]:
    set_etag(request, context.role.version)
    return role_json(request, context.role)


@view_config(
    context=RoleResource, request_method="PATCH", permission="roles.write", renderer="json"
)
def patch_role(context: RoleResource, request: Any) -> dict[str, Any]:
    lock_for_update(request.dbsession, context.role)
    check_if_match(request, context.role.version)
    changes = validated_body(request, RolePatchSchema(), ROLE_READ_ONLY_FIELDS | {"scope"})
    with record_changes(request, "role.update", "role", context.role, also=("permissions",)):
        role = services.update_role(request, context.role, changes)
    set_etag(request, role.version)
    return role_json(request, role)


@view_config(context=RoleResource, request_method="DELETE", permission="roles.write")
def delete_role(context: RoleResource, request: Any) -> Any:
    lock_for_update(request.dbsession, context.role)
    check_if_match(request, context.role.version)
    with record_deletion(request, "role.delete", "role", context.role, also=("permissions",)):
        services.delete_role(request.dbsession, context.role)
    return no_content(request)


@view_config(
    context=PermissionCollection, request_method="GET", permission="roles.read", renderer="json"
)
def list_permissions(context: PermissionCollection, request: Any) -> dict[str, Any]:
    return permissions_page(
        request.registry.permission_catalogue, query_params(request), max_limit(request)
    )


# --- Role assignments ----------------------------------------------------------------------


def _assignments_page(request: Any, params: dict[str, str]) -> dict[str, Any]:
    query = ListQuery.from_request(
        params,
        services.ASSIGNMENT_SORT_KEYS,
        "created_at",
        {"principal_type", "principal_id", "role_id", "workspace_id"},
        max_limit=max_limit(request),
    )
    page = fetch_page(
        request.dbsession,
        services.filtered_assignments(params),
        query,
        services.ASSIGNMENT_SORT_KEYS,
        RoleAssignment.id,
    )
    return envelope(
        [assignment_json(request, item) for item in page.items], page.next_cursor, page.total
    )


@view_config(
    context=RoleAssignmentCollection,
    request_method="GET",
    permission=AUTHENTICATED,
    renderer="json",
)
def list_assignments(context: RoleAssignmentCollection, request: Any) -> dict[str, Any]:
    """List assignments. Reading one workspace's needs the permission there only."""
    params = query_params(request)
    require_permission(request, "role_assignments.read", params.get("workspace_id"))
    return _assignments_page(request, params)


@view_config(
    context=RoleAssignmentCollection,
    request_method="POST",
    permission=AUTHENTICATED,
    renderer="json",
)
def create_assignment(context: RoleAssignmentCollection, request: Any) -> dict[str, Any]:
    """Assign a role. The body's workspace sets the scope whose permission is checked."""
    body = validated_body(request, AssignmentCreateSchema(), ASSIGNMENT_READ_ONLY_FIELDS)
    assignment = services.create_assignment(request, body)
    created(request, assignment_location(request, assignment), None)
    return assignment_json(request, assignment)


@view_config(
    context=RoleAssignmentResource,
    request_method="GET",
    permission="role_assignments.read",
    renderer="json",
)
def get_assignment(context: RoleAssignmentResource, request: Any) -> dict[str, Any]:
    return assignment_json(request, context.assignment)


@view_config(
    context=RoleAssignmentResource, request_method="DELETE", permission="role_assignments.write"
)
def delete_assignment(context: RoleAssignmentResource, request: Any) -> Any:
    with record_deletion(request, "role_assignment.delete", "role_assignment", context.assignment):
        services.delete_assignment(request.dbsession, context.assignment)
    return no_content(request)


@view_config(
    context=WorkspaceRoleAssignments,
    request_method="GET",
    permission="role_assignments.read",
    renderer="json",
)
def list_workspace_assignments(context: WorkspaceRoleAssignments, request: Any) -> dict[str, Any]:
    params = query_params(request)
    if "workspace_id" in params:
        raise invalid_parameter("workspace_id", "the path already names the workspace.")
    return _assignments_page(request, {**params, "workspace_id": context.__parent__.workspace_id})


@view_config(
    context=WorkspaceRoleAssignments,
    request_method="POST",
    permission="role_assignments.write",
    renderer="json",
)
def create_workspace_assignment(context: WorkspaceRoleAssignments, request: Any) -> dict[str, Any]:
    body = validated_body(request, WorkspaceAssignmentCreateSchema(), ASSIGNMENT_READ_ONLY_FIELDS)
    body["workspace_id"] = context.__parent__.workspace_id
    assignment = services.create_assignment(request, body)
    created(request, assignment_location(request, assignment), None)
    return assignment_json(request, assignment)
