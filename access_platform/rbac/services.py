"""Queries about who holds which role."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from access_platform.rbac.models import RoleAssignment, RolePermission


def tenant_permissions(dbsession: Session, user_id: str) -> set[str]:
    """Return the permission names the user holds tenant-wide, through roles assigned to them."""
    # NOTE: only direct user assignments count for now; roles assigned to
    # groups the user belongs to are not yet resolved here.
    statement = (
        select(RolePermission.permission)
        .join(RoleAssignment, RoleAssignment.role_id == RolePermission.role_id)
        .where(RoleAssignment.principal_type == "user", RoleAssignment.principal_id == user_id)
    )
    return set(dbsession.scalars(statement))


def assign_role(dbsession: Session, role_id: str, user_id: str) -> RoleAssignment:
    """Assign a role to a user and return the new assignment."""
    assignment = RoleAssignment(role_id=role_id, principal_type="user", principal_id=user_id)
    dbsession.add(assignment)
    return assignment
