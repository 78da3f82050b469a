"""Groups, their members and owners, with the guardrail and nesting rules."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import Select, delete, or_, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from access_platform.audit.recorder import record
from access_platform.db import flush_or_conflict, utcnow
from access_platform.errors import ApiError, problem_type, validation_error
from access_platform.groups.models import Group, GroupMember, GroupOwner
from access_platform.guardrails import GroupChange, check_group_change
from access_platform.listing import SortKey, datetime_sort_key, escape_like
from access_platform.rbac.models import RoleAssignment
from access_platform.references import Reference
from access_platform.users.models import User, fold

log = logging.getLogger(__name__)

GROUP_NAME_TAKEN = problem_type("group-name-taken")
ALREADY_MEMBER = problem_type("already-member")
ALREADY_OWNER = problem_type("already-owner")
MEMBERSHIP_CYCLE = problem_type("membership-cycle")
GROUP_READ_ONLY = problem_type("group-read-only")

GROUP_SORT_KEYS = {
    "display_name": SortKey(Group.display_name_folded),
    "created_at": datetime_sort_key(Group.created_at),
    "updated_at": datetime_sort_key(Group.updated_at),
}
GROUP_FILTERS = frozenset({"source", "membership_mode", "external_id", "q"})


def display_name_conflict(display_name: str) -> ApiError:
    return ApiError(
        409,
        f"A group named {display_name!r} already exists; group names are compared ignoring case.",
        type=GROUP_NAME_TAKEN,
        title="Group name already taken",
        scim_type="uniqueness",
    )


def find_by_display_name(dbsession: Session, display_name: str) -> Group | None:
    return dbsession.scalars(
        select(Group).where(Group.display_name_folded == fold(display_name))
    ).one_or_none()


def create_group(dbsession: Session, fields: dict[str, Any]) -> Group:
    """Create a group from validated ``fields``; 409 when the name is taken."""
    group = Group(**fields)
    dbsession.add(group)
    flush_or_conflict(dbsession, "display_name_folded", display_name_conflict(group.display_name))
    log.info("created group %s (source %s)", group.id, group.source)
    return group


def update_group(dbsession: Session, group: Group, changes: dict[str, Any]) -> Group:
    """Apply validated merge-patch ``changes`` to ``group``."""
    for name, value in changes.items():
        setattr(group, name, value)
    if "display_name" in changes:
        group.display_name_generated = False
    if dbsession.is_modified(group):
        group.updated_at = utcnow()
        flush_or_conflict(
            dbsession, "display_name_folded", display_name_conflict(group.display_name)
        )
        log.info("updated group %s: %s", group.id, ", ".join(sorted(changes)))
    return group


def delete_group(dbsession: Session, group: Group) -> dict[str, int]:
    """Delete ``group`` with its memberships (both ways), ownerships and role assignments.

    Returns how many rows of each kind went with it, for the audit event.
    """
    memberships = dbsession.execute(
        delete(GroupMember).where(
            or_(GroupMember.group_id == group.id, GroupMember.member_id == group.id)
        )
    )
    ownerships = dbsession.execute(delete(GroupOwner).where(GroupOwner.group_id == group.id))
    assignments = dbsession.execute(
        delete(RoleAssignment).where(
            RoleAssignment.principal_type == "group", RoleAssignment.principal_id == group.id
        )
    )
    dbsession.delete(group)
    dbsession.flush()
    log.info("deleted group %s", group.id)
    return {
        "removed_memberships": memberships.rowcount,
        "removed_ownerships": ownerships.rowcount,
        "removed_role_assignments": assignments.rowcount,
    }


def filtered_groups(params: dict[str, str]) -> Select[Any]:
    """Return the select of groups matching the list filters in ``params``."""
    statement = select(Group)
    if "source" in params:
        statement = statement.where(Group.source == params["source"])
    if "membership_mode" in params:
        statement = statement.where(Group.membership_mode == params["membership_mode"])
    if "external_id" in params:
        statement = statement.where(Group.external_id == params["external_id"])
    if params.get("q"):
        prefix = escape_like(fold(params["q"])) + "%"
        statement = statement.where(Group.display_name_folded.like(prefix, escape="\\"))
    return statement


# --- Guardrails -----------------------------------------------------------------


def enforce_guardrails(request: Any, change: GroupChange) -> None:
    """Raise 409 when a guardrail plugin vetoes ``change``."""
    reason = check_group_change(request.registry.plugin_manager, request, change)
    if reason is not None:
        log.info(
            "guardrail rejected %s %s on group %s (request id %s)",
            change.action,
            change.relation,
            change.group.id,
            request.request_id,
        )
        raise ApiError(
            409,
            reason,
            type=GROUP_READ_ONLY,
            title="Group is read-only here",
            extensions={"group_id": change.group.id},
        )


# --- Members --------------------------------------------------------------------


def resolve_reference(dbsession: Session, reference: Reference) -> User | Group:
    """Return the user or group a reference names; 404 when there is none."""
    found: User | Group | None = None
    if reference.kind in ("user", "any"):
        found = dbsession.get(User, reference.id)
    if found is None and reference.kind in ("group", "any"):
        found = dbsession.get(Group, reference.id)
    if found is None:
        kind = {"user": "user", "group": "group", "any": "user or group"}[reference.kind]
        raise ApiError(404, f"No {kind} with id {reference.id} exists.")
    return found


def nested_group_ids(group_id: str) -> Select[Any]:
    """Return a select of the ids of every group nested under ``group_id``, at any depth."""
    descendants = (
        select(GroupMember.member_id.label("id"))
        .where(GroupMember.group_id == group_id, GroupMember.member_type == "group")
        .cte("descendants", recursive=True)
    )
    descendants = descendants.union(
        select(GroupMember.member_id)
        .join(descendants, GroupMember.group_id == descendants.c.id)
        .where(GroupMember.member_type == "group")
    )
    return select(descendants.c.id)


def ancestor_group_ids(member_id: str) -> Select[Any]:
    """Return a select of the ids of every group that contains ``member_id``, at any depth."""
    ancestors = (
        select(GroupMember.group_id.label("id"))
        .where(GroupMember.member_id == member_id)
        .cte("ancestors", recursive=True)
    )
    ancestors = ancestors.union(
        select(GroupMember.group_id).join(ancestors, GroupMember.member_id == ancestors.c.id)
    )
    return select(ancestors.c.id)


# Key of the PostgreSQL advisory lock that serializes group-in-group adds.
NESTING_LOCK_KEY = 0x61705F6E657374  # "ap_nest"


def lock_group_nesting(dbsession: Session, group: Group) -> None:
    """Serialize group-in-group adds until this transaction ends.

    Two concurrent adds that each pass the cycle check could together form
    a cycle (A into B while B goes into A). On PostgreSQL a transaction-level
    advisory lock orders them; on SQLite any write takes the database's
    single write lock, so a no-op update of the parent group does the same.
    Adds of users, which cannot form cycles, take no lock.
    """
    if dbsession.get_bind().dialect.name == "postgresql":
        dbsession.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": NESTING_LOCK_KEY})
    else:
        dbsession.execute(
            text("UPDATE groups SET version = version WHERE id = :id"), {"id": group.id}
        )


def _would_create_cycle(dbsession: Session, group: Group, candidate: Group) -> bool:
    if candidate.id == group.id:
        return True
    nested = nested_group_ids(candidate.id).subquery()
    return dbsession.scalar(select(nested.c.id).where(nested.c.id == group.id).limit(1)) is not None


def add_member(request: Any, group: Group, reference: Reference) -> User | Group:
    """Add the user or group ``reference`` names as a direct member of ``group``.

    :raises ApiError: 404 for an unknown member, 409 when a guardrail vetoes,
        when it is a member already, or when the group would contain itself.
    """
    dbsession = request.dbsession
    member = resolve_reference(dbsession, reference)
    member_type = "group" if isinstance(member, Group) else "user"
    enforce_guardrails(request, GroupChange(group, "members", "add", member.id))

    if isinstance(member, Group):
        lock_group_nesting(dbsession, group)
    if isinstance(member, Group) and _would_create_cycle(dbsession, group, member):
        raise ApiError(
            409,
            f"Adding group {member.id} to group {group.id} would make the group contain itself.",
            type=MEMBERSHIP_CYCLE,
            title="Membership cycle",
        )

    # Plain ids, because a failed flush expires every loaded object.
    group_id, member_id = group.id, member.id
    if find_membership(dbsession, group_id, member_id) is not None:
        raise already_member(group_id, member_id)
    try:
        dbsession.add(GroupMember(group_id=group_id, member_id=member_id, member_type=member_type))
        dbsession.flush()
    except IntegrityError as error:
        # A concurrent request added the same member first.
        raise already_member(group_id, member_id) from error
    log.info("added %s %s to group %s", member_type, member_id, group_id)
    record(
        request,
        "group.member.add",
        "group",
        group_id,
        {"member_type": member_type, "member_id": member_id},
    )
    return member


def already_member(group_id: str, member_id: str) -> ApiError:
    return ApiError(
        409,
        f"{member_id} is already a member of group {group_id}.",
        type=ALREADY_MEMBER,
        title="Already a member",
    )


def find_membership(dbsession: Session, group_id: str, member_id: str) -> GroupMember | None:
    return dbsession.get(GroupMember, {"group_id": group_id, "member_id": member_id})


def remove_member(request: Any, group: Group, membership: GroupMember) -> None:
    enforce_guardrails(request, GroupChange(group, "members", "remove", membership.member_id))
    request.dbsession.delete(membership)
    request.dbsession.flush()
    log.info("removed %s %s from group %s", membership.member_type, membership.member_id, group.id)
    record(
        request,
        "group.member.remove",
        "group",
        group.id,
        {"member_type": membership.member_type, "member_id": membership.member_id},
    )


# --- Owners ---------------------------------------------------------------------


def add_owner(request: Any, group: Group, reference: Reference) -> User:
    """Make the user ``reference`` names an owner of ``group``."""
    dbsession = request.dbsession
    owner = resolve_reference(dbsession, reference)
    if not isinstance(owner, User):
        raise validation_error(
            [{"pointer": "#/@odata.id", "detail": "Owners must be users, not groups."}],
            detail=f"{owner.id} is a group; only users can own groups.",
        )
    enforce_guardrails(request, GroupChange(group, "owners", "add", owner.id))

    group_id, owner_id = group.id, owner.id
    if dbsession.get(GroupOwner, {"group_id": group_id, "user_id": owner_id}) is not None:
        raise already_owner(group_id, owner_id)
    try:
        dbsession.add(GroupOwner(group_id=group_id, user_id=owner_id))
        dbsession.flush()
    except IntegrityError as error:
        raise already_owner(group_id, owner_id) from error
    log.info("added owner %s to group %s", owner_id, group_id)
    record(request, "group.owner.add", "group", group_id, {"user_id": owner_id})
    return owner


def already_owner(group_id: str, user_id: str) -> ApiError:
    return ApiError(
        409,
        f"{user_id} is already an owner of group {group_id}.",
        type=ALREADY_OWNER,
        title="Already an owner",
    )


def remove_owner(request: Any, group: Group, ownership: GroupOwner) -> None:
    enforce_guardrails(request, GroupChange(group, "owners", "remove", ownership.user_id))
    request.dbsession.delete(ownership)
    request.dbsession.flush()
    log.info("removed owner %s from group %s", ownership.user_id, group.id)
    record(request, "group.owner.remove", "group", group.id, {"user_id": ownership.user_id})
