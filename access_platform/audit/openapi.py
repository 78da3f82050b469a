"""OpenAPI operations and schemas of ``/api/v1/auditEvents``."""

from __future__ import annotations

from access_platform.audit.views import EVENT_SORT_KEYS, EXACT_FILTERS, READ
from access_platform.openapi.components import (
    ID,
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

TAG = "Audit"

FILTER_DESCRIPTIONS = {
    "actor_id": "Events whose actor has this id: a user, SCIM token or `cli`.",
    "credential_id": "Events made with this API key, session or SCIM token.",
    "action": "Events of this action, such as `user.create`.",
    "target_type": "Events on targets of this type, such as `user`.",
    "target_id": "Events on the target with this id.",
    "request_id": "Events recorded by the request with this id.",
}

SCHEMAS = {
    "AuditEvent": obj(
        {
            "id": ID,
            "occurred_at": TIMESTAMP,
            "action": STRING,
            "actor": obj(
                {
                    "type": STRING,
                    "id": NULLABLE_STRING,
                    "auth_method": NULLABLE_STRING,
                    "credential_id": NULLABLE_STRING,
                }
            ),
            "target": obj({"type": STRING, "id": NULLABLE_STRING}),
            "changes": {
                "type": ["object", "null"],
                "description": "The changed fields; secrets appear as `[redacted]`.",
            },
            "request_id": NULLABLE_STRING,
            "client_address": NULLABLE_STRING,
        }
    ),
}

OPERATIONS = (
    Operation(
        "GET",
        "/auditEvents",
        "listAuditEvents",
        "List audit events",
        TAG,
        description="Newest first unless sort=occurred_at. Events are append-only.",
        permission=READ,
        query=list_parameters(
            list(EVENT_SORT_KEYS),
            "-occurred_at",
            (
                *(
                    query_parameter(name, STRING, FILTER_DESCRIPTIONS[name])
                    for name in EXACT_FILTERS
                ),
                query_parameter("since", {**TIMESTAMP}, "Events at or after this time (RFC 3339)."),
                query_parameter("until", {**TIMESTAMP}, "Events before this time (RFC 3339)."),
            ),
        ),
        response=page_of(ref("AuditEvent")),
    ),
    Operation(
        "GET",
        "/auditEvents/{eventId}",
        "getAuditEvent",
        "Get an audit event",
        TAG,
        permission=READ,
        response=ref("AuditEvent"),
    ),
)
