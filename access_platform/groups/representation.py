"""The JSON form of groups and of relation entries in ``/api/v1`` responses."""

from __future__ import annotations

from typing import Any

from access_platform.groups.models import Group
from access_platform.users.models import User
from access_platform.users.representation import user_json


def group_json(request: Any, group: Group) -> dict[str, Any]:
    return {
        "id": group.id,
        "display_name": group.display_name,
        "description": group.description,
        "source": group.source,
        "membership_mode": group.membership_mode,
        "external_id": group.external_id,
        "created_at": group.created_at,
        "updated_at": group.updated_at,
    }


def group_location(request: Any, group: Group) -> str:
    return request.application_url + f"/api/v1/groups/{group.id}"


def directory_object_json(request: Any, member: User | Group) -> dict[str, Any]:
    """Return a user or group as a relation entry, with ``object_type`` telling which."""
    if isinstance(member, Group):
        return {"object_type": "group", **group_json(request, member)}
    return {"object_type": "user", **user_json(request, member)}
