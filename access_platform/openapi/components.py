"""Building blocks that every domain's operations share: schemas, parameters, responses.

Domain modules (``access_platform/<domain>/openapi.py``) build their
schemas from these helpers and refer to shared components by name with
:func:`ref`.
"""

from __future__ import annotations

from typing import Any

from access_platform.errors import PROBLEM_MEDIA_TYPE
from access_platform.idempotency import HEADER as IDEMPOTENCY_KEY_HEADER
from access_platform.listing import DEFAULT_LIMIT

JSON_MEDIA_TYPE = "application/json"
MERGE_PATCH_MEDIA_TYPE = "application/merge-patch+json"


def ref(name: str, kind: str = "schemas") -> dict[str, str]:
    """Return a reference to the component ``name`` of ``kind`` (schemas, responses, ...)."""
    return {"$ref": f"#/components/{kind}/{name}"}


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """Return ``schema`` widened to accept JSON ``null`` too."""
    if "$ref" in schema:
        return {"anyOf": [schema, {"type": "null"}]}
    return {**schema, "type": [schema["type"], "null"]}


def obj(properties: dict[str, Any], optional: tuple[str, ...] = ()) -> dict[str, Any]:
    """Return a closed object schema in which every property except ``optional`` is required.

    Response schemas are closed (``additionalProperties: false``), so that a
    field the server adds without documenting it fails the contract check.
    """
    return {
        "type": "object",
        "properties": properties,
        "required": [name for name in properties if name not in optional],
        "additionalProperties": False,
    }


STRING = {"type": "string"}
INTEGER = {"type": "integer"}
BOOLEAN = {"type": "boolean"}
ID = {"type": "string", "description": "An opaque id: a UUID in text form."}
TIMESTAMP = {"type": "string", "format": "date-time"}
NULLABLE_STRING = nullable(STRING)
NULLABLE_ID = nullable(ID)
NULLABLE_TIMESTAMP = nullable(TIMESTAMP)


def page_of(item: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """Return the list envelope schema for items of schema ``item``.

    :param extra: further members that the collection adds to the
        envelope, by name and schema; they are required.
    """
    return obj(
        {
            "items": {"type": "array", "items": item},
            "next_cursor": {
                **NULLABLE_STRING,
                "description": "Pass as cursor to read the next page; null on the last page.",
            },
            "total": {
                "type": "integer",
                "minimum": 0,
                "description": "The number of matching items, sent only with count=true.",
            },
            **extra,
        },
        optional=("total",),
    )


def query_parameter(
    name: str, schema: dict[str, Any], description: str, required: bool = False
) -> dict[str, Any]:
    """Return an OpenAPI query Parameter Object."""
    parameter = {"name": name, "in": "query", "description": description, "schema": schema}
    if required:
        parameter["required"] = True
    return parameter


def list_parameters(
    sort_fields: list[str], default_sort: str, filters: tuple[dict[str, Any], ...] = ()
) -> tuple[dict[str, Any], ...]:
    """Return the paging parameters of a collection, then its ``filters``.

    :param sort_fields: the documented sort fields; each may be sent with a
        leading ``-`` for descending order.
    """
    sorts = [order for field in sort_fields for order in (field, f"-{field}")]
    return (
        ref("limit", "parameters"),
        ref("cursor", "parameters"),
        query_parameter(
            "sort",
            {"type": "string", "enum": sorts, "default": default_sort},
            "The sort field, or -field for descending order; keep it unchanged while paging.",
        ),
        ref("count", "parameters"),
        *filters,
    )


PROBLEM_DETAILS = {
    "type": "object",
    "description": "An RFC 9457 Problem Details object; docs/errors.md lists the types.",
    "required": ["type", "title", "status", "detail", "instance"],
    "properties": {
        "type": {
            "type": "string",
            "description": "about:blank, or a urn:access-platform:problem: URN.",
        },
        "title": STRING,
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": STRING,
        "instance": {"type": "string", "description": "The request path."},
        "request_id": {"type": "string", "description": "The X-Request-Id of the request."},
        "errors": {
            "type": "array",
            "description": "The invalid fields (pointer) or query parameters (parameter).",
            "items": {
                "type": "object",
                "required": ["detail"],
                "properties": {
                    "pointer": {"type": "string", "description": "A JSON Pointer, as #/field."},
                    "parameter": STRING,
                    "detail": STRING,
                },
            },
        },
    },
    # Some problem types add members of their own, such as missing_permissions.
    "additionalProperties": True,
}


def _problem(description: str, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": description,
        "content": {PROBLEM_MEDIA_TYPE: {"schema": ref("ProblemDetails")}},
    }
    if headers:
        response["headers"] = headers
    return response


# The problem response of each error status that an operation may document.
# Operation.to_openapi refers to them by status, so listing a status missing
# here fails the build with a KeyError.
PROBLEM_RESPONSES: dict[int, tuple[str, dict[str, Any]]] = {
    400: (
        "BadRequest",
        _problem("Malformed JSON, an invalid query parameter or path, or an invalid header."),
    ),
    401: (
        "Unauthorized",
        _problem(
            "No valid credential.",
            {"WWW-Authenticate": {"schema": STRING, "description": "The accepted methods."}},
        ),
    ),
    403: ("Forbidden", _problem("The caller lacks the permission, or the CSRF token is wrong.")),
    404: ("NotFound", _problem("No resource exists at the path.")),
    409: ("Conflict", _problem("The request conflicts with the resource's current state.")),
    412: (
        "PreconditionFailed",
        _problem(
            "If-Match does not match the current ETag.",
            {"ETag": ref("ETag", "headers")},
        ),
    ),
    413: ("ContentTooLarge", _problem("The body is over the size limit.")),
    415: ("UnsupportedMediaType", _problem("The body is not JSON in UTF-8.")),
    422: ("ValidationFailed", _problem("The body does not match the schema; errors lists why.")),
    429: (
        "TooManyRequests",
        _problem(
            "Too many requests. Retry after the Retry-After seconds.",
            {"Retry-After": {"schema": STRING, "description": "Seconds to wait before retrying."}},
        ),
    ),
    503: (
        "ServiceUnavailable",
        _problem(
            "The database is unavailable or too busy.",
            {"Retry-After": {"schema": STRING, "description": "Seconds to wait before retrying."}},
        ),
    ),
}

HEADERS = {
    "ETag": {
        "schema": STRING,
        "required": True,
        "description": "The resource's version, for If-Match.",
    },
    "Location": {
        "schema": {"type": "string", "format": "uri"},
        "required": True,
        "description": "The URL of the new resource.",
    },
    "Idempotent-Replayed": {
        "schema": {"type": "string", "enum": ["true"]},
        "description": "Sent when the response is the stored result of an earlier request.",
    },
}

PARAMETERS = {
    "limit": query_parameter(
        "limit",
        {"type": "integer", "minimum": 1, "default": DEFAULT_LIMIT},
        "The page size, at most access_platform.list.max_limit.",
    ),
    "cursor": query_parameter(
        "cursor", STRING, "The next_cursor of the previous page, to read the next one."
    ),
    "count": query_parameter(
        "count", {"type": "boolean", "default": False}, "true adds total to the envelope."
    ),
    "IfMatch": {
        "name": "If-Match",
        "in": "header",
        "description": "Proceed only if one of these ETags, or *, is the current one.",
        "schema": STRING,
    },
    "IdempotencyKey": {
        "name": IDEMPOTENCY_KEY_HEADER,
        "in": "header",
        "description": "A retry with the same key and body returns the stored result.",
        "schema": {"type": "string", "pattern": "^[\\x21-\\x7e]{1,255}$"},
    },
}
