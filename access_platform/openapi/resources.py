"""``/api/v1/openapi.json``."""

from __future__ import annotations

from access_platform.traversal import Resource


class OpenApiDocument(Resource):
    """``/api/v1/openapi.json``: the API's OpenAPI document."""
