"""One documented operation, and how it becomes an OpenAPI Operation Object."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from access_platform.openapi.components import (
    JSON_MEDIA_TYPE,
    PROBLEM_RESPONSES,
    ref,
)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_PATH_PARAMETER = re.compile(r"\{([^}]+)\}")

# Security requirements (any one suffices). Unsafe requests that rely on
# the session cookie must repeat the session's CSRF token in a header.
SAFE_SECURITY = [{"apiKey": []}, {"session": []}]
UNSAFE_SECURITY = [{"apiKey": []}, {"session": [], "csrfToken": []}]


@dataclass(frozen=True)
class Operation:
    """One operation under ``/api/v1``, as a domain module declares it.

    The builder adds what every operation of a kind has in common: path
    parameters from the template, the security requirement, and the
    Problem Details responses that the request can produce (see
    :meth:`error_statuses`).

    :ivar method: the HTTP method, upper case.
    :ivar path: the path template relative to ``/api/v1``, such as
        ``/users/{userId}``; parameter names match the resource tree's.
    :ivar operation_id: a unique camelCase name, such as ``getUser``.
    :ivar tag: the group the operation is listed under.
    :ivar permission: the permission the caller needs, named in the
        description; ``None`` when the view checks it itself.
    :ivar query: query Parameter Objects (or references to them).
    :ivar headers: names of request header parameters in the components
        (``IfMatch``, ``IdempotencyKey``).
    :ivar body: the request body's JSON Schema; ``None`` when there is none.
    :ivar status: the success status code.
    :ivar response: the success body's JSON Schema; ``None`` for an empty body.
    :ivar response_headers: names of header components sent on success.
    :ivar errors: error statuses beyond those every such request can get.
    :ivar public: ``True`` when no credential is needed.
    :ivar creates: for operations that create a resource, the path
        template of the new resource, such as ``/users/{userId}``. The
        builder links the success response to every operation at or under
        that path, passing the response's ``id`` as the template's last
        parameter.
    """

    method: str
    path: str
    operation_id: str
    summary: str
    tag: str
    description: str = ""
    permission: str | None = None
    query: tuple[dict[str, Any], ...] = ()
    headers: tuple[str, ...] = ()
    body: dict[str, Any] | None = None
    body_media_types: tuple[str, ...] = (JSON_MEDIA_TYPE,)
    status: int = 200
    response: dict[str, Any] | None = None
    response_headers: tuple[str, ...] = ()
    errors: tuple[int, ...] = ()
    public: bool = False
    creates: str | None = None

    @property
    def path_parameters(self) -> list[str]:
        return _PATH_PARAMETER.findall(self.path)

    def error_statuses(self) -> list[int]:
        """Return every error status the operation documents.

        Any request can get 400 (a path or query the server rejects) and
        503 (database unavailable). Requests that need credentials can get
        401 and 403, a path with parameters 404, a body 413, 415 and 422,
        If-Match 412, and Idempotency-Key 409.
        """
        statuses = {400, 503, *self.errors}
        if not self.public:
            statuses |= {401, 403}
        if self.path_parameters:
            statuses.add(404)
        if self.body is not None:
            statuses |= {413, 415, 422}
        if "IfMatch" in self.headers:
            statuses.add(412)
        if "IdempotencyKey" in self.headers:
            statuses.add(409)
        return sorted(statuses)

    def to_openapi(self, links: dict[str, Any] | None = None) -> dict[str, Any]:
        """Return the OpenAPI Operation Object; ``links`` go on the success response."""
        description = self.description
        if self.permission:
            needs = f"Needs the `{self.permission}` permission."
            description = f"{description}\n\n{needs}" if description else needs

        operation: dict[str, Any] = {
            "operationId": self.operation_id,
            "summary": self.summary,
            "tags": [self.tag],
        }
        if description:
            operation["description"] = description

        parameters: list[dict[str, Any]] = [
            {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
            for name in self.path_parameters
        ]
        parameters.extend(self.query)
        parameters.extend(ref(name, "parameters") for name in self.headers)
        if parameters:
            operation["parameters"] = parameters

        if self.body is not None:
            operation["requestBody"] = {
                "required": True,
                "content": {
                    media_type: {"schema": self.body} for media_type in self.body_media_types
                },
            }

        success: dict[str, Any] = {"description": self.summary}
        if self.response is not None:
            success["content"] = {JSON_MEDIA_TYPE: {"schema": self.response}}
        if self.response_headers:
            success["headers"] = {name: ref(name, "headers") for name in self.response_headers}
        if links:
            success["links"] = links
        responses: dict[str, Any] = {str(self.status): success}
        for status in self.error_statuses():
            responses[str(status)] = ref(PROBLEM_RESPONSES[status][0], "responses")
        operation["responses"] = responses

        if self.public:
            operation["security"] = []
        elif self.method not in SAFE_METHODS:
            operation["security"] = UNSAFE_SECURITY
        return operation
