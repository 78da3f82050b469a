"""Roles and role assignments, with the rule that no one grants what they do not hold."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from access_platform.audit.recorder import record_created
from access_platform.db import flush_or_conflict, utcnow
from access_platform.errors import ApiError, problem_type, validation_error
from access_platform.groups.models import Group
from access_platform.listing import SortKey, datetime_sort_key, escape_like
from access_platform.rbac.models import ALL_PERMISSIONS_NAME, Role, RoleAssignment, RolePermission
from access_platform.security import require_permission
from access_platform.users.models import User, fold
from access_platform.workspaces.models import Workspace

log = logging.getLogger(__name__)

ROLE_NAME_TAKEN = problem_type("role-name-taken")
BUILTIN_ROLE = problem_type("builtin-role")
ROLE_IN_USE = problem_type("role-in-use")
ALREADY_ASSIGNED = problem_type("already-assigned")
GRANT_EXCEEDS_HOLDINGS = problem_type("grant-exceeds-holdings")

ROLE_SORT_KEYS = {
    "name": SortKey(Role.name_folded),
    "created_at": datetime_sort_key(Role.created_at),
}
ASSIGNMENT_SORT_KEYS = {"created_at": datetime_sort_key(RoleAssignment.created_at)}


# --- Granting -------------------------------------------------------------------------


def require_holdings(request: Any, permissions: list[str], workspace_id: str | None) -> None:
    """Raise 403 unless the caller holds every one of ``permissions`` at the scope.

    A principal can never hand out, through a role or an assignment, a
    permission it does not hold itself.
    """
    effective = request.effective_permissions
    held = effective.names_at(workspace_id) if effective is not None else set()
    if ALL_PERMISSIONS_NAME in held:
        return
    missing = sorted(set(permissions) - held)
    if missing:
        raise ApiError(
            403,
            f"The caller cannot grant permissions it does not hold: {', '.join(missing)}.",
            type=GRANT_EXCEEDS_HOLDINGS,
            title="Grant exceeds the caller's permissions",
            extensions={"missing_permissions": missing},
        )


# --- Roles -------------------------------------------------------------------------------


def _check_catalogue(request: Any, permissions: list[str]) -> list[str]:
    catalogue = request.registry.permission_catalogue
    unknown = [
        name for name in permissions if name not in catalogue and name != ALL_PERMISSIONS_NAME
    ]
    if unknown:
        raise validation_error(
            [
                {
                    "pointer": f"#/permissions/{permissions.index(name)}",
                    "detail": f"Unknown permission {name}.",
                }
                for name in unknown
            ],
            detail=f"Unknown permissions: {', '.join(unknown)}; "
            "GET /api/v1/permissions lists the known ones.",
        )
    return sorted(set(permissions))


def role_name_conflict(name: str) -> ApiError:
    return ApiError(
        409,
        f"A role named {name!r} already exists; role names are compared ignoring case.",
        type=ROLE_NAME_TAKEN,
        title="Role name already taken",
    )


def create_role(request: Any, fields: dict[str, Any]) -> Role:
    permissions = _check_catalogue(request, fields.pop("permissions"))
    require_holdings(request, permissions, None)
    role = Role(**fields, permission_rows=[RolePermission(permission=name) for name in permissions])
    request.dbsession.add(role)
    flush_or_conflict(request.dbsession, "name_folded", role_name_conflict(role.name))
    log.info("created role %s with %d permissions", role.id, len(permissions))
    return role


def _refuse_builtin(role: Role, action: str) -> None:
    if role.builtin:
        raise ApiError(
            409,
            f"Role {role.name!r} is built in and cannot be {action}; create a custom role instead.",
            type=BUILTIN_ROLE,
            title="Built-in role",
        )


def update_role(request: Any, role: Role, changes: dict[str, Any]) -> Role:
    _refuse_builtin(role, "changed")
    dbsession = request.dbsession
    if "permissions" in changes:
        permissions = _check_catalogue(request, changes.pop("permissions"))
        added = sorted(set(permissions) - set(role.permissions))
        require_holdings(request, added, None)
        if permissions != role.permissions:
            role.permission_rows = [RolePermission(permission=name) for name in permissions]
            role.updated_at = utcnow()
    for name, value in changes.items():
        setattr(role, name, value)
    if dbsession.is_modified(role):
        role.updated_at = utcnow()
    flush_or_conflict(dbsession, "name_folded", role_name_conflict(role.name))
    return role


def delete_role(dbsession: Session, role: Role) -> None:
    _refuse_builtin(role, "deleted")
    assigned = dbsession.scalar(
        select(func.count()).select_from(RoleAssignment).where(RoleAssignment.role_id == role.id)
    )
    if assigned:
        raise ApiError(
            409,
            f"Role {role.name!r} is still assigned {assigned} times; "
            "remove those assignments first.",
            type=ROLE_IN_USE,
            title="Role in use",
            extensions={"role_assignments": assigned},
        )
    dbsession.delete(role)
    dbsession.flush()
    log.info("deleted role %s", role.id)


def filtered_roles(params: dict[str, str]) -> Select[Any]:
    statement = select(Role)
    if "scope" in params:
        statement = statement.where(Role.scope == params["scope"])
    if "builtin" in params:
        statement = statement.where(Role.builtin.is_(params["builtin"] == "true"))
    if params.get("q"):
        prefix = escape_like(fold(params["q"])) + "%"
        statement = statement.where(Role.name_folded.like(prefix, escape="\\"))
    return statement


# --- Assignments ---------------------------------------------------------------------------


def create_assignment(request: Any, fields: dict[str, Any]) -> RoleAssignment:
    """Assign a role to a user or group, tenant-wide or in one workspace.

    :raises ApiError: 404 for an unknown role, principal or workspace; 422
        when the role's scope does not match; 403 when the caller may not
        assign here or would grant more than it holds; 409 for a duplicate.
    """
    dbsession = request.dbsession
    workspace_id = fields.get("workspace_id")
    # The permission comes first, so that a caller without it cannot learn
    # which role, principal and workspace ids exist.
    require_permission(request, "role_assignments.write", workspace_id)

    role = dbsession.get(Role, fields["role_id"])
    if role is None:
        raise ApiError(404, f"No role with id {fields['role_id']} exists.")
    principal_model = User if fields["principal_type"] == "user" else Group
    if dbsession.get(principal_model, fields["principal_id"]) is None:
        raise ApiError(
            404, f"No {fields['principal_type']} with id {fields['principal_id']} exists."
        )
    if workspace_id is not None and dbsession.get(Workspace, workspace_id) is None:
        raise ApiError(404, f"No workspace with id {workspace_id} exists.")

    if role.scope == "tenant" and workspace_id is not None:
        raise validation_error(
            [
                {
                    "pointer": "#/workspace_id",
                    "detail": f"Role {role.name!r} is tenant-scoped; "
                    "assign it without a workspace.",
                }
            ]
        )
    if role.scope == "workspace" and workspace_id is None:
        raise validation_error(
            [
                {
                    "pointer": "#/workspace_id",
                    "detail": f"Role {role.name!r} is workspace-scoped; name the workspace.",
                }
            ]
        )

    require_holdings(request, role.permissions, workspace_id)

    if find_assignment(
        dbsession, role.id, fields["principal_type"], fields["principal_id"], workspace_id
    ):
        raise already_assigned(role.name, fields)
    # A plain name, because a failed flush expires every loaded object.
    role_name = role.name
    assignment = RoleAssignment(
        role_id=role.id,
        principal_type=fields["principal_type"],
        principal_id=fields["principal_id"],
        workspace_id=workspace_id,
        created_by=request.identity.principal_id,
    )
    try:
        dbsession.add(assignment)
        dbsession.flush()
    except IntegrityError as error:
        raise already_assigned(role_name, fields) from error
    log.info(
        "assigned role %s to %s %s (workspace %s)",
        role.id,
        assignment.principal_type,
        assignment.principal_id,
        workspace_id,
    )
    record_created(request, "role_assignment.create", "role_assignment", assignment)
    return assignment


def find_assignment(
    dbsession: Session,
    role_id: str,
    principal_type: str,
    principal_id: str,
    workspace_id: str | None,
) -> RoleAssignment | None:
    statement = select(RoleAssignment).where(
        RoleAssignment.role_id == role_id,
        RoleAssignment.principal_type == principal_type,
        RoleAssignment.principal_id == principal_id,
    )
    if workspace_id is None:
        statement = statement.where(RoleAssignment.workspace_id.is_(None))
    else:
        statement = statement.where(RoleAssignment.workspace_id == workspace_id)
    return dbsession.scalars(statement).first()


def already_assigned(role_name: str, fields: dict[str, Any]) -> ApiError:
    where = (
        f"in workspace {fields['workspace_id']}" if fields.get("workspace_id") else "tenant-wide"
    )
    return ApiError(
        409,
        f"{fields['principal_type'].title()} {fields['principal_id']} already holds role "
        f"{role_name!r} {where}.",
        type=ALREADY_ASSIGNED,
        title="Role already assigned",
    )


def delete_assignment(dbsession: Session, assignment: RoleAssignment) -> None:
    dbsession.delete(assignment)
    dbsession.flush()
    log.info("removed role assignment %s", assignment.id)


def filtered_assignments(params: dict[str, str]) -> Select[Any]:
    statement = select(RoleAssignment)
    for name in ("principal_type", "principal_id", "role_id", "workspace_id"):
        if name in params:
            statement = statement.where(getattr(RoleAssignment, name) == params[name])
    return statement


def assign_role(dbsession: Session, role_id: str, user_id: str) -> RoleAssignment:
    """Assign a tenant-wide role to a user without permission checks, for command-line tools."""
    assignment = RoleAssignment(role_id=role_id, principal_type="user", principal_id=user_id)
    dbsession.add(assignment)
    return assignment
