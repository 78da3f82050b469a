"""Pages of group relations: members, owners, and the groups a user belongs to."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from access_platform.groups.models import Group, GroupMember, GroupOwner
from access_platform.groups.representation import directory_object_json, group_json
from access_platform.groups.services import GROUP_SORT_KEYS, ancestor_group_ids
from access_platform.listing import (
    ListQuery,
    SortKey,
    envelope,
    fetch_page,
    invalid_parameter,
    max_limit,
)
from access_platform.users.models import User

MEMBER_SORT_KEYS = {"id": SortKey(GroupMember.member_id)}
OWNER_SORT_KEYS = {"id": SortKey(GroupOwner.user_id)}


def members_page(request: Any, group: Group, params: dict[str, str]) -> dict[str, Any]:
    """Return one page of the group's direct members, users and groups alike, ordered by id."""
    query = ListQuery.from_request(
        params, MEMBER_SORT_KEYS, "id", set(), max_limit=max_limit(request)
    )
    statement = select(GroupMember).where(GroupMember.group_id == group.id)
    page = fetch_page(request.dbsession, statement, query, MEMBER_SORT_KEYS, GroupMember.member_id)

    # Two queries load the whole page, whatever its size.
    user_ids = [row.member_id for row in page.items if row.member_type == "user"]
    group_ids = [row.member_id for row in page.items if row.member_type == "group"]
    found: dict[str, User | Group] = {}
    if user_ids:
        found.update(
            (user.id, user)
            for user in request.dbsession.scalars(select(User).where(User.id.in_(user_ids)))
        )
    if group_ids:
        found.update(
            (member.id, member)
            for member in request.dbsession.scalars(select(Group).where(Group.id.in_(group_ids)))
        )
    items = [
        directory_object_json(request, found[row.member_id])
        for row in page.items
        if row.member_id in found
    ]
    return envelope(items, page.next_cursor, page.total)


def owners_page(request: Any, group: Group, params: dict[str, str]) -> dict[str, Any]:
    """Return one page of the group's owners, ordered by id."""
    query = ListQuery.from_request(
        params, OWNER_SORT_KEYS, "id", set(), max_limit=max_limit(request)
    )
    statement = select(GroupOwner).where(GroupOwner.group_id == group.id)
    page = fetch_page(request.dbsession, statement, query, OWNER_SORT_KEYS, GroupOwner.user_id)

    ids = [row.user_id for row in page.items]
    users = {
        user.id: user for user in request.dbsession.scalars(select(User).where(User.id.in_(ids)))
    }
    items = [directory_object_json(request, users[user_id]) for user_id in ids if user_id in users]
    return envelope(items, page.next_cursor, page.total)


def member_of_page(request: Any, user: User, params: dict[str, str]) -> dict[str, Any]:
    """Return one page of the groups ``user`` belongs to.

    With ``transitive=true`` the page also holds the groups reached through
    nested groups.
    """
    params = dict(params)
    transitive_text = params.pop("transitive", "false").lower()
    if transitive_text not in ("true", "false"):
        raise invalid_parameter("transitive", "expected true or false.")

    query = ListQuery.from_request(
        params, GROUP_SORT_KEYS, "display_name", set(), max_limit=max_limit(request)
    )
    if transitive_text == "true":
        group_ids = ancestor_group_ids(user.id)
    else:
        group_ids = select(GroupMember.group_id).where(GroupMember.member_id == user.id)
    statement = select(Group).where(Group.id.in_(group_ids))
    page = fetch_page(request.dbsession, statement, query, GROUP_SORT_KEYS, Group.id)
    return envelope(
        [group_json(request, group) for group in page.items], page.next_cursor, page.total
    )
