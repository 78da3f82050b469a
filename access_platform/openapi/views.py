"""The view that serves the OpenAPI document."""

from __future__ import annotations

from typing import Any

from pyramid.response import Response
from pyramid.security import NO_PERMISSION_REQUIRED
from pyramid.view import view_config

from access_platform.openapi.resources import OpenApiDocument


@view_config(context=OpenApiDocument, request_method="GET", permission=NO_PERMISSION_REQUIRED)
def openapi_document(context: OpenApiDocument, request: Any) -> Response:
    """Return the document that the app built at start-up.

    It needs no credential: it describes the API, not its data, as the
    API reference does.
    """
    return Response(body=request.registry.openapi_json, content_type="application/json")
