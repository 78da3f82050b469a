"""The two error envelopes and the exception that carries an error to them.

Errors under ``/scim/v2`` use the SCIM error schema (RFC 7644 section 3.12);
every other path, ``/api/v1`` and the health endpoints, uses Problem Details
(RFC 9457). Code that detects an error raises :class:`ApiError`; the
exception views in :mod:`access_platform.error_views` render it in the
envelope of the request's surface.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

PROBLEM_MEDIA_TYPE = "application/problem+json"
SCIM_MEDIA_TYPE = "application/scim+json"
SCIM_ERROR_URN = "urn:ietf:params:scim:api:messages:2.0:Error"
SCIM_PATH_PREFIX = "/scim/v2"

# Problem types are URNs so that they stay stable whatever host the
# platform runs on; docs/errors.md lists each one and its meaning.
PROBLEM_TYPE_PREFIX = "urn:access-platform:problem:"


def problem_type(slug: str) -> str:
    """Return the Problem Details ``type`` URI for ``slug``."""
    return PROBLEM_TYPE_PREFIX + slug


VALIDATION_FAILED = problem_type("validation-failed")
MALFORMED_JSON = problem_type("malformed-json")
CSRF_FAILED = problem_type("csrf-token-invalid")
DATABASE_UNAVAILABLE = problem_type("database-unavailable")
TOO_MANY_REQUESTS = problem_type("too-many-requests")


def reason_phrase(status: int) -> str:
    """Return the standard HTTP reason phrase for ``status``."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


@dataclass(eq=False)
class ApiError(Exception):
    """An error answered to the client in the envelope of its surface.

    :ivar status: the HTTP status.
    :ivar detail: a sentence for the client: what failed, on which value.
    :ivar type: the Problem Details type; ``about:blank`` means the status
        says it all, and then the title is the reason phrase.
    :ivar title: a short summary of the problem type.
    :ivar scim_type: the SCIM ``scimType`` keyword, for SCIM responses.
    :ivar extensions: extra Problem Details members, such as ``errors``.
    :ivar headers: extra response headers, such as ``Allow``.
    """

    status: int
    detail: str
    type: str = "about:blank"
    title: str | None = None
    scim_type: str | None = None
    extensions: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__(self.detail)


def validation_error(errors: list[dict[str, str]], detail: str | None = None) -> ApiError:
    """Return a 422 whose ``errors`` member lists each invalid field.

    :param errors: ``{"pointer": "#/field", "detail": "..."}`` entries, with
        JSON Pointers (RFC 6901) into the request body.
    """
    if detail is None:
        fields = ", ".join(error["pointer"].removeprefix("#/") or "(body)" for error in errors)
        detail = f"The request body is invalid: {fields}."
    return ApiError(
        422,
        detail,
        type=VALIDATION_FAILED,
        title="Validation failed",
        scim_type="invalidValue",
        extensions={"errors": errors},
    )


def is_scim_path(path: str) -> bool:
    return path == SCIM_PATH_PREFIX or path.startswith(SCIM_PATH_PREFIX + "/")


def problem_body(error: ApiError, instance: str, request_id: str | None) -> dict[str, Any]:
    """Return the RFC 9457 Problem Details object for ``error``."""
    title = error.title
    if error.type == "about:blank" or title is None:
        title = reason_phrase(error.status)
    body: dict[str, Any] = {
        "type": error.type,
        "title": title,
        "status": error.status,
        "detail": error.detail,
        "instance": instance,
    }
    body.update(error.extensions)
    if request_id:
        body["request_id"] = request_id
    return body


def scim_error_body(error: ApiError) -> dict[str, Any]:
    """Return the RFC 7644 section 3.12 error object for ``error``."""
    body: dict[str, Any] = {
        "schemas": [SCIM_ERROR_URN],
        "status": str(error.status),
        "detail": error.detail,
    }
    if error.scim_type:
        body["scimType"] = error.scim_type
    return body


def render_error(error: ApiError, path: str, request_id: str | None) -> tuple[bytes, str]:
    """Return the body and media type for ``error`` on a request to ``path``."""
    if is_scim_path(path):
        body = scim_error_body(error)
        media_type = SCIM_MEDIA_TYPE
    else:
        body = problem_body(error, path, request_id)
        media_type = PROBLEM_MEDIA_TYPE
    return json.dumps(body).encode("utf-8"), media_type
