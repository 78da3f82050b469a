"""access-platform: a self-hosted access-management server.

:func:`main` is the PasteDeploy app factory that ``pserve`` calls.
"""

from __future__ import annotations

import logging
from typing import Any

from pyramid.config import Configurator

from access_platform.error_views import collect_view_methods
from access_platform.middleware import REQUEST_ID_ENVIRON_KEY, PlatformMiddleware
from access_platform.migrate import script_heads
from access_platform.openapi.document import build_document, serialize
from access_platform.rbac.permissions import collect_permissions
from access_platform.request_class import install_request_class
from access_platform.resources import build_root_acl
from access_platform.scim.registry import collect_schemas
from access_platform.settings import parse_settings

log = logging.getLogger(__name__)


def _request_id(request: Any) -> str:
    return request.environ.get(REQUEST_ID_ENVIRON_KEY, "")


def main(global_config: dict[str, Any], **raw_settings: Any) -> Any:
    """Build the WSGI application from the ini file's ``[app:main]`` settings."""
    settings = parse_settings(raw_settings)

    with Configurator(settings=settings) as config:
        # Storage first: pyramid_tm and pyramid_retry wrap every request.
        config.include("access_platform.db")
        config.include("access_platform.security")
        config.include("access_platform.renderers")
        config.include("access_platform.resources")
        config.include("access_platform.scim")
        config.add_request_method(_request_id, "request_id", reify=True)
        config.scan("access_platform", ignore=["access_platform.migrations"])
        # Plugins are configured after the core is committed, so a plugin
        # may override a core view or setting without a conflict error.
        config.commit()
        config.include("access_platform.plugins")
        config.commit()

        registry = config.registry
        registry.scim_schemas = collect_schemas(registry.plugin_manager)
        registry.permission_catalogue = collect_permissions(registry.plugin_manager)
        registry.root_acl = build_root_acl(list(registry.permission_catalogue))
        registry.view_methods = collect_view_methods(registry)
        registry.migration_heads = script_heads()
        registry.openapi_document = build_document(settings, list(registry.permission_catalogue))
        registry.openapi_json = serialize(registry.openapi_document)
        install_request_class(registry)

    app = config.make_wsgi_app()
    return PlatformMiddleware(app, settings["access_platform.max_body_bytes"])
