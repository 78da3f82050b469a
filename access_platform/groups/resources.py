"""``/api/v1/groups`` and everything under one group."""

from __future__ import annotations

from typing import Any

from access_platform.groups.models import Group, GroupMember, GroupOwner
from access_platform.groups.services import find_membership
from access_platform.relations import (
    REF,
    RelationAdd,
    RelationCollection,
    RelationEntry,
    RelationEntryRef,
)
from access_platform.traversal import Collection, Resource


class MembersAdd(RelationAdd):
    """``/api/v1/groups/{groupId}/members/$ref``."""


class MemberEntryRef(RelationEntryRef):
    """``/api/v1/groups/{groupId}/members/{memberId}/$ref``."""


class MemberEntry(RelationEntry):
    """``/api/v1/groups/{groupId}/members/{memberId}``; ``entry`` is the membership row."""

    children = {REF: MemberEntryRef}


class Members(RelationCollection):
    """``/api/v1/groups/{groupId}/members``: the group's direct members."""

    add_resource = MembersAdd
    entry_resource = MemberEntry
    entry_parameter = "memberId"

    def find_entry(self, member_id: str) -> GroupMember | None:
        return find_membership(self.request.dbsession, self.__parent__.group.id, member_id)


class OwnersAdd(RelationAdd):
    """``/api/v1/groups/{groupId}/owners/$ref``."""


class OwnerEntryRef(RelationEntryRef):
    """``/api/v1/groups/{groupId}/owners/{ownerId}/$ref``."""


class OwnerEntry(RelationEntry):
    """``/api/v1/groups/{groupId}/owners/{ownerId}``; ``entry`` is the ownership row."""

    children = {REF: OwnerEntryRef}


class Owners(RelationCollection):
    """``/api/v1/groups/{groupId}/owners``: the users who own the group."""

    add_resource = OwnersAdd
    entry_resource = OwnerEntry
    entry_parameter = "ownerId"

    def find_entry(self, user_id: str) -> GroupOwner | None:
        group = self.__parent__.group
        return self.request.dbsession.get(GroupOwner, {"group_id": group.id, "user_id": user_id})


class GroupResource(Resource):
    """One group; ``self.group`` is the loaded row."""

    children = {"members": Members, "owners": Owners}

    def __init__(self, request: Any, name: str, parent: Resource, group: Group) -> None:
        super().__init__(request, name, parent)
        self.group = group


class GroupCollection(Collection):
    """All groups. A child name is a group id."""

    model = Group
    item_resource = GroupResource
    item_parameter = "groupId"
