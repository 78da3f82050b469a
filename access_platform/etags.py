"""ETags and ``If-Match`` preconditions (RFC 9110 sections 8.8.3 and 13.1.1).

A resource's ETag is its row version in quotes. A write that carries
``If-Match`` proceeds only if one of the listed ETags, or ``*``, matches
the current version; otherwise it gets 412 and changes nothing.
"""

from __future__ import annotations

from typing import Any

from access_platform.errors import ApiError, problem_type

PRECONDITION_FAILED = problem_type("precondition-failed")


def etag_for(version: int) -> str:
    return f'"{version}"'


def set_etag(request: Any, version: int) -> None:
    request.response.headers["ETag"] = etag_for(version)


def check_if_match(request: Any, version: int) -> None:
    """Raise 412 when the request's ``If-Match`` does not match ``version``."""
    header = request.headers.get("If-Match")
    if header is None:
        return
    candidates = [candidate.strip() for candidate in header.split(",")]
    if "*" in candidates or etag_for(version) in candidates:
        return
    raise ApiError(
        412,
        f"If-Match {header} does not match the current ETag {etag_for(version)}; "
        "read the resource again and retry with its new ETag.",
        type=PRECONDITION_FAILED,
        title="Precondition failed",
        headers={"ETag": etag_for(version)},
    )
