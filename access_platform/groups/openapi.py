"""OpenAPI operations and schemas of ``/api/v1/groups``, its members and its owners."""

from __future__ import annotations

from access_platform.groups.models import MEMBERSHIP_MODES
from access_platform.groups.schemas import GroupCreateSchema, GroupPatchSchema
from access_platform.groups.services import GROUP_SORT_KEYS
from access_platform.openapi.colander_schema import json_schema
from access_platform.openapi.components import (
    ID,
    JSON_MEDIA_TYPE,
    MERGE_PATCH_MEDIA_TYPE,
    NULLABLE_STRING,
    STRING,
    TIMESTAMP,
    list_parameters,
    obj,
    page_of,
    query_parameter,
    ref,
)
from access_platform.openapi.operation import Operation
from access_platform.users.openapi import USER_PROPERTIES

TAG = "Groups"

GROUP_PROPERTIES = {
    "id": ID,
    "display_name": STRING,
    "description": NULLABLE_STRING,
    "source": STRING,
    "membership_mode": {"type": "string", "enum": list(MEMBERSHIP_MODES)},
    "external_id": NULLABLE_STRING,
    "created_at": TIMESTAMP,
    "updated_at": TIMESTAMP,
}

SCHEMAS = {
    "Group": obj(GROUP_PROPERTIES),
    "GroupCreate": json_schema(GroupCreateSchema()),
    "GroupPatch": json_schema(GroupPatchSchema()),
    # A relation entry: the user or group with object_type telling which.
    "DirectoryObject": {
        "oneOf": [
            obj({"object_type": {"const": "user"}, **USER_PROPERTIES}),
            obj({"object_type": {"const": "group"}, **GROUP_PROPERTIES}),
        ]
    },
}

GROUP_FILTERS = (
    query_parameter("source", STRING, "Exact source, such as local or idp."),
    query_parameter(
        "membership_mode", {"type": "string", "enum": list(MEMBERSHIP_MODES)}, "Exact mode."
    ),
    query_parameter("external_id", STRING, "Exact external id."),
    query_parameter("q", STRING, "Case-insensitive prefix of the display name."),
)
# Member and owner lists are ordered by the entry's id only.
RELATION_PARAMETERS = list_parameters(["id"], "id")

OPERATIONS = (
    Operation(
        "GET",
        "/groups",
        "listGroups",
        "List groups",
        TAG,
        permission="groups.read",
        query=list_parameters(list(GROUP_SORT_KEYS), "display_name", GROUP_FILTERS),
        response=page_of(ref("Group")),
    ),
    Operation(
        "POST",
        "/groups",
        "createGroup",
        "Create a group",
        TAG,
        permission="groups.write",
        body=ref("GroupCreate"),
        status=201,
        response=ref("Group"),
        response_headers=("Location", "ETag"),
        errors=(409,),
        creates="/groups/{groupId}",
    ),
    Operation(
        "GET",
        "/groups/{groupId}",
        "getGroup",
        "Get a group",
        TAG,
        permission="groups.read",
        response=ref("Group"),
        response_headers=("ETag",),
    ),
    Operation(
        "PATCH",
        "/groups/{groupId}",
        "updateGroup",
        "Change a group",
        TAG,
        description="A JSON merge patch: only the fields sent change. source cannot change.",
        permission="groups.write",
        headers=("IfMatch",),
        body=ref("GroupPatch"),
        body_media_types=(JSON_MEDIA_TYPE, MERGE_PATCH_MEDIA_TYPE),
        response=ref("Group"),
        response_headers=("ETag",),
        errors=(409,),
    ),
    Operation(
        "DELETE",
        "/groups/{groupId}",
        "deleteGroup",
        "Delete a group",
        TAG,
        description="Also removes its memberships, both ways, its owners and its role assignments.",
        permission="groups.write",
        headers=("IfMatch",),
        status=204,
        errors=(409,),
    ),
    Operation(
        "GET",
        "/groups/{groupId}/members",
        "listGroupMembers",
        "List a group's direct members",
        TAG,
        permission="groups.read",
        query=RELATION_PARAMETERS,
        response=page_of(ref("DirectoryObject")),
    ),
    Operation(
        "POST",
        "/groups/{groupId}/members/$ref",
        "addGroupMember",
        "Add a member to a group",
        TAG,
        description="The body references a user or group. Returns the first page of members.",
        permission="groups.write",
        body=ref("Reference"),
        response=page_of(ref("DirectoryObject")),
        errors=(409,),
    ),
    Operation(
        "DELETE",
        "/groups/{groupId}/members/{memberId}/$ref",
        "removeGroupMember",
        "Remove a member from a group",
        TAG,
        permission="groups.write",
        status=204,
        errors=(409,),
    ),
    Operation(
        "GET",
        "/groups/{groupId}/owners",
        "listGroupOwners",
        "List a group's owners",
        TAG,
        permission="groups.read",
        query=RELATION_PARAMETERS,
        response=page_of(ref("DirectoryObject")),
    ),
    Operation(
        "POST",
        "/groups/{groupId}/owners/$ref",
        "addGroupOwner",
        "Add an owner to a group",
        TAG,
        description="The body references a user. Returns the first page of owners.",
        permission="groups.write",
        body=ref("Reference"),
        response=page_of(ref("DirectoryObject")),
        errors=(409,),
    ),
    Operation(
        "DELETE",
        "/groups/{groupId}/owners/{ownerId}/$ref",
        "removeGroupOwner",
        "Remove an owner from a group",
        TAG,
        permission="groups.write",
        status=204,
        errors=(409,),
    ),
)
