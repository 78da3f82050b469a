"""Effective permissions: what a user may do, tenant-wide and in each workspace, and why.

A user's permissions are the union of the roles assigned to the user and
to every group the user belongs to, directly or through nested groups.
Tenant-wide assignments apply in every workspace. Authorization reads
them in one query per request, which walks the group nesting recursively.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, and_, bindparam, or_, select
from sqlalchemy.orm import Session

from access_platform.groups.models import GroupMember
from access_platform.rbac.models import ALL_PERMISSIONS_NAME, Role, RoleAssignment, RolePermission
from access_platform.users.models import User


@dataclass(frozen=True)
class Grant:
    """One reason a user holds a permission: an assignment, and the group it came through."""

    permission: str
    assignment_id: str
    role_id: str
    role_name: str
    workspace_id: str | None
    principal_type: str
    principal_id: str


@dataclass
class EffectivePermissions:
    """The grants of one user, with lookups by scope."""

    grants: list[Grant] = field(default_factory=list)
    group_parents: dict[str, set[str]] = field(default_factory=dict)

    def names_at(self, workspace_id: str | None) -> set[str]:
        """Return the permission names held at ``workspace_id`` (``None``: tenant-wide only)."""
        return {
            grant.permission
            for grant in self.grants
            if grant.workspace_id is None or grant.workspace_id == workspace_id
        }

    def allows(self, permission: str, workspace_id: str | None) -> bool:
        names = self.names_at(workspace_id)
        return ALL_PERMISSIONS_NAME in names or permission in names

    def workspaces(self) -> set[str]:
        return {grant.workspace_id for grant in self.grants if grant.workspace_id is not None}


def _membership_edges() -> Any:
    """Return a recursive select of (group_id, member_id) edges from ``:user_id`` upwards."""
    edges = (
        select(GroupMember.group_id, GroupMember.member_id)
        .where(GroupMember.member_id == bindparam("user_id"))
        .cte("membership_edges", recursive=True)
    )
    return edges.union(
        select(GroupMember.group_id, GroupMember.member_id).join(
            edges, GroupMember.member_id == edges.c.group_id
        )
    )


def _grants_statement(group_ids: Any) -> Select[Any]:
    """Return the select of every grant to ``:user_id`` or to a group among ``group_ids``."""
    condition = or_(
        and_(
            RoleAssignment.principal_type == "user",
            RoleAssignment.principal_id == bindparam("user_id"),
        ),
        and_(RoleAssignment.principal_type == "group", RoleAssignment.principal_id.in_(group_ids)),
    )
    return (
        select(
            RolePermission.permission,
            RoleAssignment.id,
            RoleAssignment.role_id,
            Role.name,
            RoleAssignment.workspace_id,
            RoleAssignment.principal_type,
            RoleAssignment.principal_id,
        )
        .join(RoleAssignment, RoleAssignment.role_id == RolePermission.role_id)
        .join(Role, Role.id == RoleAssignment.role_id)
        .where(condition)
    )


# Built once: constructing the recursive query took more time per request
# than running it. Both take the user's id as the :user_id parameter.
MEMBERSHIP_EDGES = _membership_edges()
EDGES_STATEMENT = select(MEMBERSHIP_EDGES.c.group_id, MEMBERSHIP_EDGES.c.member_id)
GRANTS_STATEMENT = _grants_statement(select(MEMBERSHIP_EDGES.c.group_id))


def effective_permissions(
    dbsession: Session, user: User, *, with_paths: bool = False
) -> EffectivePermissions:
    """Return every grant ``user`` holds. Users who are not active hold none.

    Authorization needs only the grants, which one query returns, with the
    group nesting walked inside it. ``with_paths`` also loads the nesting
    itself, so that :func:`group_path` can explain a grant, at the cost of a
    second query.
    """
    if user.status != "active":
        return EffectivePermissions()

    parameters = {"user_id": user.id}
    rows = dbsession.execute(GRANTS_STATEMENT, parameters).all()
    grants = [Grant(*row) for row in rows]
    if not with_paths:
        return EffectivePermissions(grants)

    group_parents: dict[str, set[str]] = defaultdict(set)
    for group_id, member_id in dbsession.execute(EDGES_STATEMENT, parameters):
        group_parents[member_id].add(group_id)
    return EffectivePermissions(grants, dict(group_parents))


def group_path(effective: EffectivePermissions, user_id: str, group_id: str) -> list[str]:
    """Return the group ids from the user's direct group up to ``group_id`` (breadth-first)."""
    frontier: list[list[str]] = [
        [parent] for parent in sorted(effective.group_parents.get(user_id, ()))
    ]
    seen: set[str] = set()
    while frontier:
        path = frontier.pop(0)
        last = path[-1]
        if last == group_id:
            return path
        if last in seen:
            continue
        seen.add(last)
        frontier.extend(path + [parent] for parent in sorted(effective.group_parents.get(last, ())))
    return [group_id]
