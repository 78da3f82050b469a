"""OpenAPI operation and schemas of ``POST /api/v1/$batch``."""

from __future__ import annotations

from access_platform.openapi.components import INTEGER, STRING, obj, ref
from access_platform.openapi.operation import Operation

STRING_MAP = {"type": "object", "additionalProperties": STRING}

SCHEMAS = {
    "BatchRequest": obj(
        {
            "requests": {
                "type": "array",
                "minItems": 1,
                "items": obj(
                    {
                        "id": {"type": "string", "minLength": 1},
                        "method": {"type": "string", "minLength": 1},
                        "url": {
                            "type": "string",
                            "minLength": 1,
                            "description": "Relative to /api/v1, such as /users.",
                        },
                        "headers": STRING_MAP,
                        "body": {"description": "The item's JSON body."},
                        "dependsOn": {"type": "array", "items": STRING},
                    },
                    optional=("headers", "body", "dependsOn"),
                ),
            }
        }
    ),
    "BatchResponse": obj(
        {
            "responses": {
                "type": "array",
                "items": obj(
                    {
                        "id": STRING,
                        "status": INTEGER,
                        "headers": STRING_MAP,
                        "body": {"description": "The item's JSON body, or null when empty."},
                    }
                ),
            }
        }
    ),
}

OPERATIONS = (
    Operation(
        "POST",
        "/$batch",
        "runBatch",
        "Run a batch of requests",
        "Batch",
        description="Runs POST /users, PATCH /users/{id} and POST /users/{id}/deactivate items "
        "in order, each after the items in its dependsOn, each in a savepoint of its own. "
        "Each item's status, headers and body are those of the standalone request. Too many "
        "items get 413.",
        headers=("IdempotencyKey",),
        body=ref("BatchRequest"),
        response=ref("BatchResponse"),
        response_headers=("Idempotent-Replayed",),
    ),
)
