"""JSON renderers: ``json`` for ``/api/v1`` and ``scim`` for ``/scim/v2``.

Timestamps are rendered as RFC 3339 in UTC with a ``Z`` suffix.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from pyramid.renderers import JSON

from access_platform.errors import SCIM_MEDIA_TYPE


def _dumps(value: Any, default: Callable[[Any], Any], **kw: Any) -> str:
    """Serialize ``value``, writing timestamps as RFC 3339 in UTC.

    Timestamps are handled before Pyramid's ``default``, whose adapter
    lookup cost more than the formatting in profiles of list pages and
    ``$batch`` items. Other objects still reach the registered adapters.
    """

    def timestamps_first(obj: Any) -> Any:
        if isinstance(obj, datetime):
            return obj.astimezone(UTC).isoformat().replace("+00:00", "Z")
        return default(obj)

    return json.dumps(value, default=timestamps_first, **kw)


def _json_renderer() -> JSON:
    return JSON(serializer=_dumps)


# Pyramid may call a renderer factory for every response, so the SCIM
# renderer reuses one JSON renderer rather than building and configuring one.
_SCIM_JSON = _json_renderer()


def scim_renderer_factory(info: Any) -> Any:
    """Render like ``json``, as ``application/scim+json`` (RFC 7644 section 8.1)."""
    render_json = _SCIM_JSON(info)

    def render(value: Any, system: dict[str, Any]) -> str:
        body = render_json(value, system)
        request = system.get("request")
        if request is not None:
            request.response.content_type = SCIM_MEDIA_TYPE
        return body

    return render


def includeme(config: Any) -> None:
    config.add_renderer("json", _json_renderer())
    config.add_renderer("scim", scim_renderer_factory)
