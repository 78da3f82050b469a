"""Small helpers that views share for status codes and headers."""

from __future__ import annotations

from typing import Any

from access_platform.errors import ApiError, problem_type
from access_platform.etags import set_etag


def created(request: Any, location: str, version: int | None) -> None:
    """Mark the response as 201 Created with ``Location``, and ``ETag`` for versioned resources."""
    request.response.status_code = 201
    request.response.location = location
    if version is not None:
        set_etag(request, version)


def no_content(request: Any) -> Any:
    """Return an empty 204 response."""
    response = request.response
    response.status_code = 204
    response.content_type = None
    return response


def query_params(request: Any) -> dict[str, str]:
    """Return the query parameters as a dict.

    :raises ApiError: 400 when the query string is not UTF-8, holds a
        control character, or repeats a parameter, because a repeated
        filter would otherwise be silently narrowed to one of its values.
    """
    try:
        items = list(request.GET.items())
    except UnicodeDecodeError:
        raise _bad_query("the query string is not valid UTF-8 once percent-decoded.") from None
    params: dict[str, str] = {}
    for name, value in items:
        if name in params:
            raise _bad_query(f"parameter {name} is given more than once.", name)
        if any(ord(character) < 32 for character in name + value):
            raise _bad_query(f"parameter {name} contains a control character.", name)
        params[name] = value
    return params


def _bad_query(detail: str, parameter: str | None = None) -> ApiError:
    error = ApiError(
        400,
        f"The query is invalid: {detail}",
        type=problem_type("invalid-query-parameter"),
        title="Invalid query parameter",
        scim_type="invalidValue",
    )
    if parameter is not None:
        error.extensions["errors"] = [{"parameter": parameter, "detail": detail}]
    return error
