"""``/scim/v2``: the SCIM service provider's resource tree."""

from __future__ import annotations

from typing import Any

from pyramid.authorization import DENY_ALL, Allow

from access_platform.groups.models import Group
from access_platform.rbac.permissions import SCIM_READ, SCIM_WRITE
from access_platform.traversal import Resource
from access_platform.users.models import User


class ScimUser(Resource):
    """``/scim/v2/Users/{id}``."""

    def __init__(self, request: Any, name: str, parent: Resource, user: User) -> None:
        super().__init__(request, name, parent)
        self.user = user


class ScimSearch(Resource):
    """``/scim/v2/Users/.search`` and ``/scim/v2/Groups/.search`` (RFC 7644 section 3.4.3)."""


class ScimUsers(Resource):
    """``/scim/v2/Users``. A child name is a user id, or ``.search``."""

    def __getitem__(self, user_id: str) -> Resource:
        if user_id == ".search":
            return ScimSearch(self.request, user_id, self)
        user = self.request.dbsession.get(User, user_id)
        if user is None:
            raise KeyError(user_id)
        return ScimUser(self.request, user_id, self, user)


class ScimGroup(Resource):
    """``/scim/v2/Groups/{id}``."""

    def __init__(self, request: Any, name: str, parent: Resource, group: Group) -> None:
        super().__init__(request, name, parent)
        self.group = group


class ScimGroups(Resource):
    """``/scim/v2/Groups``. A child name is a group id, or ``.search``."""

    def __getitem__(self, group_id: str) -> Resource:
        if group_id == ".search":
            return ScimSearch(self.request, group_id, self)
        group = self.request.dbsession.get(Group, group_id)
        if group is None:
            raise KeyError(group_id)
        return ScimGroup(self.request, group_id, self, group)


class ServiceProviderConfig(Resource):
    """``/scim/v2/ServiceProviderConfig`` (RFC 7644 section 4)."""


class SchemaEntry(Resource):
    """``/scim/v2/Schemas/{urn}``."""

    def __init__(self, request: Any, name: str, parent: Resource, schema: Any) -> None:
        super().__init__(request, name, parent)
        self.schema = schema


class Schemas(Resource):
    """``/scim/v2/Schemas``. A child name is a schema URN."""

    def __getitem__(self, urn: str) -> SchemaEntry:
        schema = self.request.registry.scim_schemas.get(urn)
        if schema is None:
            raise KeyError(urn)
        return SchemaEntry(self.request, urn, self, schema)


class ResourceTypeEntry(Resource):
    """``/scim/v2/ResourceTypes/{name}``."""


class ResourceTypes(Resource):
    """``/scim/v2/ResourceTypes``. A child name is ``User`` or ``Group``."""

    def __getitem__(self, name: str) -> ResourceTypeEntry:
        if name not in ("User", "Group"):
            raise KeyError(name)
        return ResourceTypeEntry(self.request, name, self)


class ScimRootSearch(Resource):
    """``/scim/v2/.search``: a search across Users and Groups (RFC 7644 section 3.4.3)."""


class ScimV2(Resource):
    """``/scim/v2``.

    SCIM tokens act only here and only within their scopes; the final
    ``DENY_ALL`` stops the root's grants to users from reaching SCIM.
    """

    __acl__ = [
        (Allow, "scim:read", SCIM_READ),
        (Allow, "scim:write", SCIM_WRITE),
        (Allow, "scim:write", SCIM_READ),
        DENY_ALL,
    ]
    children = {
        "Users": ScimUsers,
        "Groups": ScimGroups,
        ".search": ScimRootSearch,
        "ServiceProviderConfig": ServiceProviderConfig,
        "Schemas": Schemas,
        "ResourceTypes": ResourceTypes,
    }
