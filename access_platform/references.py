"""Microsoft Graph style references: ``{"@odata.id": "<URL of a user or group>"}``.

The URL may be absolute or relative. Its path must end in
``users/{id}``, ``groups/{id}`` or ``directoryObjects/{id}`` (the last
names either kind, as in Graph), optionally under ``/api/v1``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

from access_platform.errors import validation_error

_REFERENCE_PATH = re.compile(
    r"^(?:/api/v1)?/?(?P<collection>users|groups|directoryObjects)/(?P<id>[^/]+)/?$"
)
_COLLECTION_KINDS: dict[str, Literal["user", "group", "any"]] = {
    "users": "user",
    "groups": "group",
    "directoryObjects": "any",
}


@dataclass(frozen=True)
class Reference:
    """A parsed reference: the object id and the kind its URL names."""

    kind: Literal["user", "group", "any"]
    id: str


def parse_reference(body: Any) -> Reference:
    """Parse a ``{"@odata.id": ...}`` body.

    :raises ApiError: 422 when the body is not such an object or the URL
        does not name a user or group.
    """
    if not isinstance(body, dict):
        raise _invalid("#/", "The body must be a JSON object with an @odata.id member.")
    unknown = set(body) - {"@odata.id"}
    if unknown:
        raise _invalid(f"#/{sorted(unknown)[0]}", "Unknown field; send only @odata.id.")
    url = body.get("@odata.id")
    if not isinstance(url, str) or not url.strip():
        raise _invalid("#/@odata.id", "Missing: send the URL of a user or group.")

    parts = urlsplit(url.strip())
    match = _REFERENCE_PATH.match(parts.path)
    if match is None or parts.query or parts.fragment:
        raise _invalid(
            "#/@odata.id",
            f"{url!r} is not the URL of a user or group; expected .../api/v1/users/{{id}} "
            "or .../api/v1/groups/{id}.",
        )
    return Reference(_COLLECTION_KINDS[match["collection"]], match["id"])


def _invalid(pointer: str, detail: str) -> Exception:
    return validation_error([{"pointer": pointer, "detail": detail}], detail=detail)
