"""OpenAPI operations and schemas of ``/api/v1/users``."""

from __future__ import annotations

from access_platform.groups.services import GROUP_SORT_KEYS
from access_platform.openapi.colander_schema import json_schema
from access_platform.openapi.components import (
    ID,
    JSON_MEDIA_TYPE,
    MERGE_PATCH_MEDIA_TYPE,
    NULLABLE_ID,
    NULLABLE_STRING,
    STRING,
    TIMESTAMP,
    list_parameters,
    nullable,
    obj,
    page_of,
    query_parameter,
    ref,
)
from access_platform.openapi.operation import Operation
from access_platform.users.models import USER_STATUSES
from access_platform.users.schemas import UserCreateSchema, UserPatchSchema
from access_platform.users.services import USER_SORT_KEYS

TAG = "Users"

USER_PROPERTIES = {
    "id": ID,
    "user_name": STRING,
    "display_name": NULLABLE_STRING,
    "given_name": NULLABLE_STRING,
    "family_name": NULLABLE_STRING,
    "email": NULLABLE_STRING,
    "external_id": NULLABLE_STRING,
    "status": {"type": "string", "enum": list(USER_STATUSES)},
    "source": STRING,
    "created_at": TIMESTAMP,
    "updated_at": TIMESTAMP,
}

SCHEMAS = {
    "User": obj(USER_PROPERTIES),
    "UserCreate": json_schema(UserCreateSchema()),
    "UserPatch": json_schema(UserPatchSchema()),
    "Reference": obj(
        {
            "@odata.id": {
                "type": "string",
                "pattern": r"\S",
                "description": "The URL, absolute or relative, of a user or group: it ends in "
                "users/{id}, groups/{id} or directoryObjects/{id}.",
            }
        }
    ),
    "PermissionSource": obj(
        {
            "assignment_id": ID,
            "role_id": ID,
            "role_name": STRING,
            "scope": {"type": "string", "enum": ["tenant", "workspace"]},
            "workspace_id": NULLABLE_ID,
            "principal_type": {"type": "string", "enum": ["user", "group"]},
            "principal_id": ID,
            "via_groups": {
                "type": "array",
                "items": ID,
                "description": "The groups from the user up to the group that holds the role.",
            },
        }
    ),
    "EffectivePermission": obj(
        {"permission": STRING, "granted_by": {"type": "array", "items": ref("PermissionSource")}}
    ),
}

USER_FILTERS = (
    query_parameter("status", {"type": "string", "enum": list(USER_STATUSES)}, "Exact status."),
    query_parameter("source", STRING, "Exact source, such as local or scim."),
    query_parameter("user_name", STRING, "User name, ignoring case."),
    query_parameter("email", STRING, "Email address, ignoring case."),
    query_parameter("external_id", STRING, "Exact external id."),
    query_parameter(
        "q", STRING, "Case-insensitive prefix of the user name, display name or email."
    ),
)

OPERATIONS = (
    Operation(
        "GET",
        "/users",
        "listUsers",
        "List users",
        TAG,
        permission="users.read",
        query=list_parameters(list(USER_SORT_KEYS), "user_name", USER_FILTERS),
        response=page_of(ref("User")),
    ),
    Operation(
        "POST",
        "/users",
        "createUser",
        "Create a user",
        TAG,
        permission="users.write",
        headers=("IdempotencyKey",),
        body=ref("UserCreate"),
        status=201,
        response=ref("User"),
        response_headers=("Location", "ETag", "Idempotent-Replayed"),
        errors=(409,),
        creates="/users/{userId}",
    ),
    Operation(
        "GET",
        "/users/{userId}",
        "getUser",
        "Get a user",
        TAG,
        permission="users.read",
        response=ref("User"),
        response_headers=("ETag",),
    ),
    Operation(
        "PATCH",
        "/users/{userId}",
        "updateUser",
        "Change a user",
        TAG,
        description="A JSON merge patch: only the fields sent change, and null clears a field. "
        'status "deactivated" ends the user\'s sessions and API keys; "active" reactivates.',
        permission="users.write",
        headers=("IfMatch",),
        body=ref("UserPatch"),
        body_media_types=(JSON_MEDIA_TYPE, MERGE_PATCH_MEDIA_TYPE),
        response=ref("User"),
        response_headers=("ETag",),
        errors=(409,),
    ),
    Operation(
        "POST",
        "/users/{userId}/deactivate",
        "deactivateUser",
        "Deactivate a user",
        TAG,
        description="Ends the user's sessions and API keys. Repeating it returns the same body.",
        permission="users.write",
        headers=("IfMatch",),
        response=ref("User"),
        response_headers=("ETag",),
        errors=(409,),
    ),
    Operation(
        "GET",
        "/users/{userId}/memberOf",
        "listUserMemberOf",
        "List the groups a user belongs to",
        TAG,
        permission="users.read",
        query=list_parameters(list(GROUP_SORT_KEYS), "display_name")
        + (
            query_parameter(
                "transitive",
                {"type": "boolean", "default": False},
                "true adds the groups reached through nested groups.",
            ),
        ),
        response=page_of(ref("Group")),
    ),
    Operation(
        "POST",
        "/users/{userId}/memberOf/$ref",
        "addUserMemberOf",
        "Add a user to a group",
        TAG,
        description="The body references the group. Returns the first page of the user's groups.",
        permission="groups.write",
        body=ref("Reference"),
        response=page_of(ref("Group")),
        errors=(409,),
    ),
    Operation(
        "DELETE",
        "/users/{userId}/memberOf/{groupId}/$ref",
        "removeUserMemberOf",
        "Remove a user from a group",
        TAG,
        permission="groups.write",
        status=204,
        errors=(409,),
    ),
    Operation(
        "GET",
        "/users/{userId}/effectivePermissions",
        "getUserEffectivePermissions",
        "List a user's effective permissions and their sources",
        TAG,
        description="Users may read their own.",
        permission="role_assignments.read",
        query=(query_parameter("workspace_id", STRING, "Include the grants in this workspace."),),
        response=page_of(ref("EffectivePermission"), user_id=ID, workspace_id=nullable(ID)),
    ),
)
