"""SCIM provisioning of users and groups into the platform's store.

SCIM users are platform users with ``source=scim``; SCIM groups are
platform groups with ``source=idp``, which the REST API's guardrails keep
read-only there while SCIM still changes them. Every write goes through
the PATCH engine, so POST, PUT and PATCH check names, types and
mutability alike.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Row, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from access_platform.audit.recorder import REDACTED, id_list_summary, record
from access_platform.db import flush_or_conflict, insert_row, new_id, utcnow
from access_platform.errors import ApiError
from access_platform.groups.models import Group, GroupMember
from access_platform.groups.services import delete_group, display_name_conflict, nested_group_ids
from access_platform.payloads import unacceptable_text
from access_platform.rbac.models import RoleAssignment
from access_platform.scim.patch import ResourceSchema, ScimPatchError, apply_patch
from access_platform.scim.query import ListParameters
from access_platform.scim.registry import core_schema_for, extensions_for
from access_platform.scim.required import missing_required
from access_platform.scim.resources_json import (
    GROUP_RESOURCE_COLUMNS,
    USER_RESOURCE_COLUMNS,
    group_resource,
    store_group_data,
    store_user,
    store_user_columns,
    user_resource,
)
from access_platform.users.emails import load_emails, stored_emails
from access_platform.users.models import User
from access_platform.users.services import user_name_conflict

log = logging.getLogger(__name__)

PATCH_OP_URN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
# Attributes a client may send back on POST or PUT but never sets.
IGNORED_ON_WRITE = frozenset({"id", "meta", "schemas", "groups"})
# Attributes an audit event leaves out of its summary: set by the server,
# or, for members, summarised as the ids added and removed.
UNAUDITED_ATTRIBUTES = frozenset({"id", "meta", "schemas", "groups", "members"})


def scim_error(error: ScimPatchError) -> ApiError:
    return ApiError(400, error.detail, scim_type=error.scim_type)


def resource_schema(registry: Any, resource_type: str) -> ResourceSchema:
    schemas = registry.scim_schemas
    return ResourceSchema(
        core_schema_for(schemas, resource_type), tuple(extensions_for(schemas, resource_type))
    )


def _checked_body(body: Any, core_urn: str) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ApiError(400, "The body must be a JSON object.", scim_type="invalidSyntax")
    schemas = body.get("schemas")
    if not isinstance(schemas, list) or core_urn.lower() not in [
        str(urn).lower() for urn in schemas
    ]:
        raise ApiError(400, f"schemas must include {core_urn}.", scim_type="invalidValue")
    return {key: value for key, value in body.items() if key not in IGNORED_ON_WRITE}


def _as_resource(
    base: dict[str, Any], attributes: dict[str, Any], schema: ResourceSchema
) -> dict[str, Any]:
    """Return ``base`` with ``attributes`` replaced, checked by the PATCH engine."""
    if not attributes:
        return base
    operation = {"schemas": [PATCH_OP_URN], "Operations": [{"op": "replace", "value": attributes}]}
    try:
        return _checked(apply_patch(base, operation, schema))
    except ScimPatchError as error:
        raise scim_error(error) from None


@contextmanager
def _user_name_conflicts(user_name: str) -> Iterator[None]:
    """Turn a unique violation on the user name, from any flush inside, into a 409."""
    try:
        yield
    except IntegrityError as error:
        if "user_name_folded" in str(error.orig):
            raise user_name_conflict(user_name) from error
        raise


def _checked(resource: dict[str, Any]) -> dict[str, Any]:
    """Return ``resource`` unless a value contains text that no database stores."""
    problem = unacceptable_text(resource)
    if problem is not None:
        raise ApiError(400, problem, scim_type="invalidValue")
    return resource


def scim_changes(
    before: dict[str, Any], after: dict[str, Any], password_set: bool = False
) -> dict[str, Any]:
    """Return the attributes of ``after`` that differ from ``before``, for an audit event.

    Attributes are named as SCIM names them, and a removed attribute maps
    to ``None``. ``password`` is write-only, so it is never compared. It
    appears, redacted, when ``password_set`` is true.
    """
    changes: dict[str, Any] = {}
    for name in sorted(set(before) | set(after)):
        if name in UNAUDITED_ATTRIBUTES or name == "password":
            continue
        if before.get(name) != after.get(name):
            changes[name] = after.get(name)
    if password_set:
        changes["password"] = REDACTED
    return changes


def _require(resource: dict[str, Any], name: str) -> None:
    value = resource.get(name)
    if not isinstance(value, str) or not value.strip():
        raise ApiError(400, f"{name} is required and must not be blank.", scim_type="invalidValue")


def _check_required(
    resource: dict[str, Any], schema: ResourceSchema, before: dict[str, Any] | None = None
) -> None:
    """Raise 400 ``invalidValue`` when ``resource`` lacks a required extension or attribute.

    For a PATCH, ``before`` is the resource as it was, and only what it did
    not lack already counts (see :mod:`access_platform.scim.required`).
    """
    missing = missing_required(resource, schema)
    if before is not None:
        lacking_before = set(missing_required(before, schema))
        missing = [problem for problem in missing if problem not in lacking_before]
    if missing:
        raise ApiError(400, " ".join(missing), scim_type="invalidValue")


# --- Users -------------------------------------------------------------------------------


def user_groups(dbsession: Session, user_ids: list[str]) -> dict[str, list[Row[Any]]]:
    """Return the ``id`` and ``display_name`` of each user's direct groups, in one query."""
    groups: dict[str, list[Row[Any]]] = {user_id: [] for user_id in user_ids}
    if not user_ids:
        return groups
    rows = dbsession.execute(
        select(GroupMember.member_id, Group.id, Group.display_name)
        .join(Group, Group.id == GroupMember.group_id)
        .where(GroupMember.member_id.in_(user_ids))
        .order_by(Group.display_name_folded)
    )
    for row in rows:
        groups[row.member_id].append(row)
    return groups


def user_as_resource(request: Any, user: User, with_groups: bool = True) -> dict[str, Any]:
    emails = load_emails(request.dbsession, [user.id]).get(user.id, [])
    groups = user_groups(request.dbsession, [user.id])[user.id] if with_groups else None
    return user_resource(request.scim_base_url, user, emails, groups)


def create_user(request: Any, body: Any) -> tuple[User, dict[str, Any]]:
    """Insert a user from a SCIM POST body; return it and its resource as a GET would show it.

    The resource is built from what was just written, without reading it
    back: a new user is in no group yet.
    """
    schema = resource_schema(request.registry, "User")
    attributes = _checked_body(body, schema.core.id)
    resource = _as_resource({"schemas": [schema.core.id]}, attributes, schema)
    _require(resource, "userName")
    _check_required(resource, schema)

    identity = request.identity
    user = User(id=new_id(), source="scim", scim_token_id=identity.credential_id)
    store_user_columns(user, resource)
    insert_row(request.dbsession, user, "user_name_folded", user_name_conflict(user.user_name))
    with request.dbsession.no_autoflush, _user_name_conflicts(user.user_name):
        store_user(request.dbsession, user, resource, columns_stored=True)
    flush_or_conflict(request.dbsession, "user_name_folded", user_name_conflict(user.user_name))
    log.info("SCIM token %s created user %s", identity.credential_id, user.id)
    changes = scim_changes({}, resource, password_set=bool(resource.get("password")))
    record(request, "scim.user.create", "user", user.id, changes)
    emails = stored_emails(resource.get("emails") or [])
    return user, user_resource(request.scim_base_url, user, emails, [])


def replace_user(request: Any, user: User, body: Any) -> User:
    schema = resource_schema(request.registry, "User")
    attributes = _checked_body(body, schema.core.id)
    resource = _as_resource({"schemas": [schema.core.id]}, attributes, schema)
    _require(resource, "userName")
    _check_required(resource, schema)
    current = user_as_resource(request, user, with_groups=False)
    _write_user(request, user, resource)
    # Compared as stored: a resource without ``active`` leaves the user active.
    stored = user_as_resource(request, user, with_groups=False)
    changes = scim_changes(current, stored, password_set=bool(resource.get("password")))
    if changes:
        record(request, "scim.user.replace", "user", user.id, changes)
    return user


def patch_user(request: Any, user: User, body: Any) -> User:
    schema = resource_schema(request.registry, "User")
    current = user_as_resource(request, user, with_groups=False)
    try:
        resource = _checked(apply_patch(current, body, schema))
    except ScimPatchError as error:
        raise scim_error(error) from None
    _require(resource, "userName")
    _check_required(resource, schema, before=current)
    if resource != current:
        active_removed = "active" in current and "active" not in resource
        _write_user(request, user, resource, active_removed)
        changes = scim_changes(current, resource, password_set=bool(resource.get("password")))
        if changes:
            record(request, "scim.user.patch", "user", user.id, changes)
    return user


def _write_user(
    request: Any, user: User, resource: dict[str, Any], active_removed: bool = False
) -> None:
    dbsession = request.dbsession
    # No autoflush while storing: a taken userName must surface at the
    # explicit flush below, where it becomes a 409.
    with dbsession.no_autoflush, _user_name_conflicts(resource["userName"]):
        store_user(dbsession, user, resource, active_removed)
    if dbsession.is_modified(user) or dbsession.new or dbsession.dirty:
        user.updated_at = utcnow()
    flush_or_conflict(dbsession, "user_name_folded", user_name_conflict(user.user_name))
    log.info("SCIM token %s changed user %s", request.identity.credential_id, user.id)


def delete_user(request: Any, user: User) -> None:
    """Delete ``user``, its memberships and role assignments; keys, sessions and emails cascade."""
    dbsession = request.dbsession
    summary = scim_changes({}, user_as_resource(request, user, with_groups=False))
    memberships = dbsession.execute(delete(GroupMember).where(GroupMember.member_id == user.id))
    assignments = dbsession.execute(
        delete(RoleAssignment).where(
            RoleAssignment.principal_type == "user", RoleAssignment.principal_id == user.id
        )
    )
    dbsession.delete(user)
    dbsession.flush()
    log.info("SCIM token %s deleted user %s", request.identity.credential_id, user.id)
    summary["removed_memberships"] = memberships.rowcount
    summary["removed_role_assignments"] = assignments.rowcount
    record(request, "scim.user.delete", "user", user.id, summary)


def list_users(request: Any, parameters: ListParameters) -> tuple[int, list[dict[str, Any]]]:
    """Return the total and one page of users as SCIM resources, in four queries or fewer."""
    dbsession = request.dbsession
    total, page = _page(dbsession, USER_RESOURCE_COLUMNS, User.id, parameters)
    ids = [user.id for user in page]
    emails = load_emails(dbsession, ids)
    groups = None if _excluded(parameters, "groups") else user_groups(dbsession, ids)
    resources = [
        user_resource(
            request.scim_base_url,
            user,
            emails.get(user.id, []),
            groups[user.id] if groups else None,
        )
        for user in page
    ]
    return total, resources


def _page(
    dbsession: Session, columns: tuple[Any, ...], id_column: Any, parameters: ListParameters
) -> tuple[int, list[Row[Any]]]:
    """Return the number of matching rows and ``columns`` of the page that ``parameters`` requests.

    The page is found by a deferred join: ORDER BY, OFFSET and LIMIT run
    over the ids alone, which an index can cover, and only the rows of
    the page are then read. The total is exact, as RFC 7644 requires
    for ``totalResults``, but counted only when the page cannot tell it:
    a page shorter than ``count`` ends the list, so the total is the rows
    before it plus its own.

    NOTE: a full page still counts every matching row. Unfiltered, that
    took about 5 ms at 100,000 users on PostgreSQL 15 (an index-only scan)
    and 0.5 ms on SQLite, measured in-process on a shared 2-core machine.
    """
    matching = select(id_column)
    if parameters.condition is not None:
        matching = matching.where(parameters.condition)
    if parameters.count == 0:
        return _count(dbsession, matching), []

    sort_column = parameters.sort_column
    order = sort_column.desc() if parameters.descending else sort_column.asc()
    page_ids = (
        matching.order_by(order, id_column)
        .offset(parameters.start_index - 1)
        .limit(parameters.count)
        .subquery()
    )
    page = list(
        dbsession.execute(
            select(*columns).join(page_ids, page_ids.c.id == id_column).order_by(order, id_column)
        )
    )
    if len(page) < parameters.count and (page or parameters.start_index == 1):
        return parameters.start_index - 1 + len(page), page
    return _count(dbsession, matching), page


def _count(dbsession: Session, matching: Any) -> int:
    return dbsession.scalar(select(func.count()).select_from(matching.subquery())) or 0


# --- Groups ------------------------------------------------------------------------------


def group_members(dbsession: Session, group_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    """Return each group's members as ``value``/``display``/``type`` dicts, in two queries."""
    members: dict[str, list[dict[str, Any]]] = {group_id: [] for group_id in group_ids}
    if not group_ids:
        return members
    user_rows = dbsession.execute(
        select(
            GroupMember.group_id,
            User.id,
            func.coalesce(GroupMember.display, User.display_name, User.user_name),
        )
        .join(User, User.id == GroupMember.member_id)
        .where(GroupMember.group_id.in_(group_ids))
        .order_by(GroupMember.group_id, User.id)
    )
    for group_id, member_id, display in user_rows:
        members[group_id].append({"value": member_id, "display": display, "type": "User"})
    nested = Group.__table__.alias("nested")
    group_rows = dbsession.execute(
        select(
            GroupMember.group_id,
            nested.c.id,
            func.coalesce(GroupMember.display, nested.c.display_name),
        )
        .join(nested, nested.c.id == GroupMember.member_id)
        .where(GroupMember.group_id.in_(group_ids))
        .order_by(GroupMember.group_id, nested.c.id)
    )
    for group_id, member_id, display in group_rows:
        members[group_id].append({"value": member_id, "display": display, "type": "Group"})
    return members


def group_as_resource(request: Any, group: Group, with_members: bool = True) -> dict[str, Any]:
    members = group_members(request.dbsession, [group.id])[group.id] if with_members else None
    return group_resource(request.scim_base_url, group, members)


def create_group(request: Any, body: Any) -> Group:
    schema = resource_schema(request.registry, "Group")
    attributes = _checked_body(body, schema.core.id)
    resource = _as_resource({"schemas": [schema.core.id]}, attributes, schema)
    _check_required(resource, schema)

    dbsession = request.dbsession
    group_id = new_id()
    group = Group(
        id=group_id,
        display_name=resource.get("displayName") or group_id,
        display_name_generated=not resource.get("displayName"),
        external_id=resource.get("externalId"),
        source="idp",
        scim_token_id=request.identity.credential_id,
    )
    store_group_data(group, resource)
    dbsession.add(group)
    flush_or_conflict(dbsession, "display_name_folded", _group_conflict(group.display_name))
    members = _store_members(dbsession, group, [], resource.get("members") or [])
    log.info("SCIM token %s created group %s", request.identity.credential_id, group.id)
    changes = {**scim_changes({}, resource), **members.summary()}
    record(request, "scim.group.create", "group", group.id, changes)
    return group


def replace_group(request: Any, group: Group, body: Any) -> Group:
    schema = resource_schema(request.registry, "Group")
    attributes = _checked_body(body, schema.core.id)
    resource = _as_resource({"schemas": [schema.core.id]}, attributes, schema)
    _check_required(resource, schema)
    current_members = group_members(request.dbsession, [group.id])[group.id]
    current = group_resource(request.scim_base_url, group, current_members)
    members = _write_group(request, group, resource, current_members)
    changes = {**scim_changes(current, resource), **members.summary()}
    if changes:
        record(request, "scim.group.replace", "group", group.id, changes)
    return group


def patch_group(request: Any, group: Group, body: Any) -> Group:
    schema = resource_schema(request.registry, "Group")
    current_members = group_members(request.dbsession, [group.id])[group.id]
    current = group_resource(request.scim_base_url, group, current_members)
    try:
        resource = _checked(apply_patch(current, body, schema))
    except ScimPatchError as error:
        raise scim_error(error) from None
    _check_required(resource, schema, before=current)
    if resource != current:
        members = _write_group(request, group, resource, current_members)
        changes = {**scim_changes(current, resource), **members.summary()}
        if changes:
            record(request, "scim.group.patch", "group", group.id, changes)
    return group


def _group_conflict(display_name: str) -> ApiError:
    error = display_name_conflict(display_name)
    error.scim_type = "uniqueness"
    return error


def _write_group(
    request: Any, group: Group, resource: dict[str, Any], current: list[dict[str, Any]]
) -> MemberChanges:
    dbsession = request.dbsession
    # A group without a displayName is named after its id (SCIM does not
    # require one; the platform does).
    display_name = resource.get("displayName")
    group.display_name = display_name or group.id
    group.display_name_generated = not display_name
    group.external_id = resource.get("externalId")
    store_group_data(group, resource)
    # Flush the rename first, so a taken name surfaces here as a 409 and
    # not in the automatic flush of the member queries below.
    flush_or_conflict(dbsession, "display_name_folded", _group_conflict(group.display_name))
    members = _store_members(dbsession, group, current, resource.get("members") or [])
    if members or dbsession.is_modified(group):
        group.updated_at = utcnow()
    flush_or_conflict(dbsession, "display_name_folded", _group_conflict(group.display_name))
    log.info("SCIM token %s changed group %s", request.identity.credential_id, group.id)
    return members


@dataclass
class MemberChanges:
    """The member ids that a SCIM write added to a group, removed, or gave a new display."""

    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    relabelled: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.relabelled)

    def summary(self) -> dict[str, Any]:
        """Return the audit summary: added and removed ids, each list with its count."""
        changes: dict[str, Any] = {}
        if self.added:
            changes.update(id_list_summary("members_added", self.added))
        if self.removed:
            changes.update(id_list_summary("members_removed", self.removed))
        if self.relabelled:
            changes.update(id_list_summary("members_relabelled", self.relabelled))
        return changes


def _store_members(
    dbsession: Session, group: Group, current: list[dict[str, Any]], wanted: list[dict[str, Any]]
) -> MemberChanges:
    """Make the group's members ``wanted``; return what changed.

    Adds and removals are each one statement, whatever their number. Every
    new member must name an existing user or group (400 ``invalidValue``),
    and a group may not come to contain itself.
    """
    current_ids = {member["value"] for member in current}
    wanted_ids: list[str] = []
    seen: set[str] = set()
    for member in wanted:
        value = member.get("value")
        if not isinstance(value, str) or not value:
            raise ApiError(
                400,
                "Each member needs a value: the id of a user or group.",
                scim_type="invalidValue",
            )
        if value not in seen:
            seen.add(value)
            wanted_ids.append(value)

    displays = {
        member["value"]: member["display"]
        for member in wanted
        if isinstance(member.get("display"), str) and isinstance(member.get("value"), str)
    }
    added = [value for value in wanted_ids if value not in current_ids]
    current_kinds = {member["value"]: member["type"].lower() for member in current}
    if not added:
        _check_member_types(wanted, current_kinds)
    removed = current_ids - seen
    if added:
        kinds = _member_kinds(dbsession, added)
        unknown = [value for value in added if value not in kinds]
        if unknown:
            raise ApiError(
                400,
                f"No user or group has the id {unknown[0]}; "
                "members must name existing users or groups.",
                scim_type="invalidValue",
            )
        _check_member_types(wanted, {**current_kinds, **kinds})
        nested = [value for value in added if kinds[value] == "group"]
        if group.id in nested or _contains(dbsession, nested, group.id):
            raise ApiError(400, f"Group {group.id} would contain itself.", scim_type="invalidValue")
        dbsession.execute(
            GroupMember.__table__.insert(),
            [
                {
                    "group_id": group.id,
                    "member_id": value,
                    "member_type": kinds[value],
                    "display": displays.get(value),
                    "created_at": utcnow(),
                }
                for value in added
            ],
        )
    # A kept member whose display the client changed gets the new one.
    current_displays = {member["value"]: member["display"] for member in current}
    relabelled = [
        value
        for value in wanted_ids
        if value in current_ids
        and value in displays
        and displays[value] != current_displays.get(value)
    ]
    for value in relabelled:
        dbsession.execute(
            update(GroupMember)
            .where(GroupMember.group_id == group.id, GroupMember.member_id == value)
            .values(display=displays[value])
        )
    if removed:
        dbsession.execute(
            delete(GroupMember).where(
                GroupMember.group_id == group.id, GroupMember.member_id.in_(removed)
            )
        )
    return MemberChanges(added, sorted(removed), relabelled)


def _check_member_types(wanted: list[dict[str, Any]], kinds: dict[str, str]) -> None:
    """Raise 400 when a member's declared ``type`` is not what its id names."""
    for member in wanted:
        declared = str(member.get("type") or "").lower()
        value = member.get("value")
        if value in kinds and declared and declared != kinds[value]:
            raise ApiError(
                400,
                f"Member {value} is a {kinds[value]}, not a {declared}.",
                scim_type="invalidValue",
            )


def _member_kinds(dbsession: Session, ids: list[str]) -> dict[str, str]:
    kinds = {
        user_id: "user" for user_id in dbsession.scalars(select(User.id).where(User.id.in_(ids)))
    }
    kinds.update(
        {
            group_id: "group"
            for group_id in dbsession.scalars(select(Group.id).where(Group.id.in_(ids)))
        }
    )
    return kinds


def _contains(dbsession: Session, candidates: list[str], group_id: str) -> bool:
    """Return whether any of ``candidates`` already contains ``group_id`` at any depth."""
    for candidate in candidates:
        nested = nested_group_ids(candidate).subquery()
        if (
            dbsession.scalar(select(nested.c.id).where(nested.c.id == group_id).limit(1))
            is not None
        ):
            return True
    return False


def delete_scim_group(request: Any, group: Group) -> None:
    summary = scim_changes({}, group_resource(request.scim_base_url, group, None))
    summary.update(delete_group(request.dbsession, group))
    record(request, "scim.group.delete", "group", group.id, summary)


def list_groups(request: Any, parameters: ListParameters) -> tuple[int, list[dict[str, Any]]]:
    """Return the total and one page of groups; members are not loaded when excluded."""
    dbsession = request.dbsession
    total, page = _page(dbsession, GROUP_RESOURCE_COLUMNS, Group.id, parameters)
    members = (
        None
        if _excluded(parameters, "members")
        else group_members(dbsession, [group.id for group in page])
    )
    resources = [
        group_resource(request.scim_base_url, group, members[group.id] if members else None)
        for group in page
    ]
    return total, resources


def _attribute_name(text: str) -> str:
    """Return the top-level attribute an ``attributes`` entry names, without URN or sub-part."""
    lowered = text.lower()
    if lowered.startswith("urn:"):
        lowered = lowered.rsplit(":", 1)[1]
    return lowered.split(".")[0]


def _excluded(parameters: ListParameters, name: str) -> bool:
    if name.lower() in {_attribute_name(text) for text in parameters.excluded_attributes}:
        return True
    if parameters.attributes:
        return name.lower() not in {_attribute_name(text) for text in parameters.attributes}
    return False
