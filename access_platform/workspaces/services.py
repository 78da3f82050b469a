"""Creating, changing and deleting workspaces."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import Select, delete, func, select
from sqlalchemy.orm import Session

from access_platform.db import flush_or_conflict, utcnow
from access_platform.errors import ApiError, problem_type
from access_platform.invitations.models import Invitation
from access_platform.listing import SortKey, datetime_sort_key, escape_like
from access_platform.rbac.models import RoleAssignment
from access_platform.users.models import fold
from access_platform.workspaces.models import Workspace

log = logging.getLogger(__name__)

WORKSPACE_NAME_TAKEN = problem_type("workspace-name-taken")
WORKSPACE_IN_USE = problem_type("workspace-in-use")

WORKSPACE_SORT_KEYS = {
    "name": SortKey(Workspace.name_folded),
    "created_at": datetime_sort_key(Workspace.created_at),
}


def workspace_name_conflict(name: str) -> ApiError:
    return ApiError(
        409,
        f"A workspace named {name!r} already exists; names are compared ignoring case.",
        type=WORKSPACE_NAME_TAKEN,
        title="Workspace name already taken",
    )


def create_workspace(dbsession: Session, fields: dict[str, Any]) -> Workspace:
    workspace = Workspace(**fields)
    dbsession.add(workspace)
    flush_or_conflict(dbsession, "name_folded", workspace_name_conflict(workspace.name))
    log.info("created workspace %s", workspace.id)
    return workspace


def update_workspace(
    dbsession: Session, workspace: Workspace, changes: dict[str, Any]
) -> Workspace:
    for name, value in changes.items():
        setattr(workspace, name, value)
    if dbsession.is_modified(workspace):
        workspace.updated_at = utcnow()
        flush_or_conflict(dbsession, "name_folded", workspace_name_conflict(workspace.name))
        log.info("updated workspace %s: %s", workspace.id, ", ".join(sorted(changes)))
    return workspace


def delete_workspace(dbsession: Session, workspace: Workspace, force: bool) -> dict[str, int]:
    """Delete ``workspace``; 409 while it has assignments or pending invitations, unless ``force``.

    With ``force``, its role assignments and invitations go with it.
    Returns how many of each went, for the audit event.
    """
    assignments = dbsession.scalar(
        select(func.count())
        .select_from(RoleAssignment)
        .where(RoleAssignment.workspace_id == workspace.id)
    )
    pending = dbsession.scalar(
        select(func.count())
        .select_from(Invitation)
        .where(
            Invitation.workspace_id == workspace.id,
            Invitation.invitation_status == "pending",
            Invitation.expires_at > utcnow(),
        )
    )
    if (assignments or pending) and not force:
        raise ApiError(
            409,
            f"Workspace {workspace.id} has {assignments} role assignments and {pending} pending "
            "invitations; remove them first, or delete with force=true to remove them too.",
            type=WORKSPACE_IN_USE,
            title="Workspace in use",
            extensions={"role_assignments": assignments, "pending_invitations": pending},
        )

    invitations = dbsession.execute(
        delete(Invitation).where(Invitation.workspace_id == workspace.id)
    )
    removed_assignments = dbsession.execute(
        delete(RoleAssignment).where(RoleAssignment.workspace_id == workspace.id)
    )
    dbsession.delete(workspace)
    dbsession.flush()
    log.info("deleted workspace %s (force=%s)", workspace.id, force)
    return {
        "removed_invitations": invitations.rowcount,
        "removed_role_assignments": removed_assignments.rowcount,
    }


def filtered_workspaces(params: dict[str, str]) -> Select[Any]:
    statement = select(Workspace)
    if params.get("q"):
        prefix = escape_like(fold(params["q"])) + "%"
        statement = statement.where(Workspace.name_folded.like(prefix, escape="\\"))
    return statement
