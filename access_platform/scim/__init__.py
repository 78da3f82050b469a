"""SCIM 2.0 service provider (RFC 7643, RFC 7644)."""

from __future__ import annotations

from typing import Any


def scim_base_url(request: Any) -> str:
    """Return the absolute URL of ``/scim/v2`` for this request, for ``meta.location``."""
    return request.application_url + "/scim/v2"


def includeme(config: Any) -> None:
    config.add_request_method(scim_base_url, "scim_base_url", reify=True)
