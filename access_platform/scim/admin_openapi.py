"""OpenAPI operations and schemas of ``/api/v1/admin/scim/tokens``."""

from __future__ import annotations

from access_platform.openapi.colander_schema import json_schema
from access_platform.openapi.components import (
    ID,
    NULLABLE_ID,
    NULLABLE_TIMESTAMP,
    STRING,
    TIMESTAMP,
    list_parameters,
    obj,
    page_of,
    ref,
)
from access_platform.openapi.operation import Operation
from access_platform.scim.admin_views import MANAGE, TOKEN_SORT_KEYS, ScimTokenCreateSchema
from access_platform.scim.models import SCIM_SCOPES

TAG = "SCIM tokens"

TOKEN_PROPERTIES = {
    "id": ID,
    "name": STRING,
    "prefix": {"type": "string", "description": "The start of the secret, to recognise it."},
    "secret_sha256": {"type": "string", "description": "The SHA-256 digest of the secret."},
    "scopes": {"type": "array", "items": {"type": "string", "enum": list(SCIM_SCOPES)}},
    "status": {"type": "string", "enum": ["active", "expired", "revoked"]},
    "created_by": NULLABLE_ID,
    "created_at": TIMESTAMP,
    "expires_at": NULLABLE_TIMESTAMP,
    "last_used_at": NULLABLE_TIMESTAMP,
    "revoked_at": NULLABLE_TIMESTAMP,
}

SCHEMAS = {
    "ScimToken": obj(TOKEN_PROPERTIES),
    "IssuedScimToken": obj(
        {
            **TOKEN_PROPERTIES,
            "token": {
                "type": "string",
                "description": "The secret, for Authorization: Bearer under /scim/v2. This "
                "response is the only place it appears.",
            },
        }
    ),
    "ScimTokenCreate": json_schema(ScimTokenCreateSchema()),
}

OPERATIONS = (
    Operation(
        "GET",
        "/admin/scim/tokens",
        "listScimTokens",
        "List SCIM tokens",
        TAG,
        permission=MANAGE,
        query=list_parameters(list(TOKEN_SORT_KEYS), "created_at"),
        response=page_of(ref("ScimToken")),
    ),
    Operation(
        "POST",
        "/admin/scim/tokens",
        "createScimToken",
        "Issue a SCIM token",
        TAG,
        permission=MANAGE,
        body=ref("ScimTokenCreate"),
        status=201,
        response=ref("IssuedScimToken"),
        response_headers=("Location",),
        creates="/admin/scim/tokens/{tokenId}",
    ),
    Operation(
        "GET",
        "/admin/scim/tokens/{tokenId}",
        "getScimToken",
        "Get a SCIM token",
        TAG,
        permission=MANAGE,
        response=ref("ScimToken"),
    ),
    Operation(
        "POST",
        "/admin/scim/tokens/{tokenId}/revoke",
        "revokeScimToken",
        "Revoke a SCIM token",
        TAG,
        description="Effective from the next SCIM request. Revoking again changes nothing.",
        permission=MANAGE,
        response=ref("ScimToken"),
    ),
)
