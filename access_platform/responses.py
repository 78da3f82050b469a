"""Small helpers that views share for status codes and headers."""

from __future__ import annotations

from typing import Any

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
    """Return the query parameters as a dict; for a repeated parameter the last value counts."""
    return dict(request.GET.items())
