"""``/api/v1/users`` and everything under one user."""

from __future__ import annotations

from typing import Any

from pyramid.authorization import Allow

from access_platform.groups.models import Group
from access_platform.groups.services import find_membership
from access_platform.relations import (
    REF,
    RelationAdd,
    RelationCollection,
    RelationEntry,
    RelationEntryRef,
)
from access_platform.traversal import Collection, Resource
from access_platform.users.models import User


class DeactivateAction(Resource):
    """``/api/v1/users/{userId}/deactivate``."""


class MemberOfAdd(RelationAdd):
    """``/api/v1/users/{userId}/memberOf/$ref``."""


class MemberOfEntryRef(RelationEntryRef):
    """``/api/v1/users/{userId}/memberOf/{groupId}/$ref``."""


class MemberOfEntry(RelationEntry):
    """``/api/v1/users/{userId}/memberOf/{groupId}``; ``entry`` is the group."""

    children = {REF: MemberOfEntryRef}


class MemberOf(RelationCollection):
    """``/api/v1/users/{userId}/memberOf``: the groups the user is a direct member of."""

    add_resource = MemberOfAdd
    entry_resource = MemberOfEntry
    entry_parameter = "groupId"

    def find_entry(self, group_id: str) -> Group | None:
        membership = find_membership(self.request.dbsession, group_id, self.__parent__.user.id)
        if membership is None:
            return None
        return self.request.dbsession.get(Group, group_id)


class EffectivePermissionsResource(Resource):
    """``/api/v1/users/{userId}/effectivePermissions``.

    Users may always read their own effective permissions.
    """

    @property
    def __acl__(self) -> list[tuple[str, str, str]]:
        return [(Allow, f"user:{self.__parent__.user.id}", "role_assignments.read")]


class UserResource(Resource):
    """One user; ``self.user`` is the loaded row."""

    children = {
        "deactivate": DeactivateAction,
        "memberOf": MemberOf,
        "effectivePermissions": EffectivePermissionsResource,
    }

    def __init__(self, request: Any, name: str, parent: Resource, user: User) -> None:
        super().__init__(request, name, parent)
        self.user = user


class UserCollection(Collection):
    """All users. A child name is a user id."""

    model = User
    item_resource = UserResource
    item_parameter = "userId"
