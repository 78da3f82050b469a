"""The OpenAPI 3.1 document of ``/api/v1``, assembled from each domain's operations.

Each domain declares its operations and response schemas in its own
``openapi.py`` module, as ``OPERATIONS`` (a tuple of
:class:`~access_platform.openapi.operation.Operation`) and ``SCHEMAS``
(component name to JSON Schema). To document a new domain, add its module
to :data:`DOMAINS`. The app builds the document once, at start-up, and
keeps it on the registry.
"""

from __future__ import annotations

import copy
import json
from importlib.metadata import version
from types import ModuleType
from typing import Any

from access_platform.audit import openapi as audit_openapi
from access_platform.auth import openapi as auth_openapi
from access_platform.auth.methods import API_KEY_HEADER
from access_platform.batch import openapi as batch_openapi
from access_platform.groups import openapi as groups_openapi
from access_platform.invitations import openapi as invitations_openapi
from access_platform.openapi.components import (
    HEADERS,
    PARAMETERS,
    PROBLEM_DETAILS,
    PROBLEM_RESPONSES,
)
from access_platform.openapi.operation import SAFE_SECURITY, Operation
from access_platform.rbac import openapi as rbac_openapi
from access_platform.rbac.models import ALL_PERMISSIONS_NAME
from access_platform.scim import admin_openapi as scim_admin_openapi
from access_platform.security import CSRF_HEADER
from access_platform.users import openapi as users_openapi
from access_platform.workspaces import openapi as workspaces_openapi

DOCUMENT_PATH = "/openapi.json"

DOCUMENT_OPERATIONS = (
    Operation(
        "GET",
        DOCUMENT_PATH,
        "getOpenApiDocument",
        "Get this OpenAPI document",
        "API description",
        description="The OpenAPI 3.1 description of every /api/v1 operation. No credential "
        "is needed.",
        response={"type": "object", "description": "An OpenAPI 3.1 document."},
        public=True,
    ),
)

# The domains whose operations the document lists, in the order of its tags.
DOMAINS: tuple[ModuleType, ...] = (
    auth_openapi,
    users_openapi,
    groups_openapi,
    rbac_openapi,
    workspaces_openapi,
    invitations_openapi,
    batch_openapi,
    scim_admin_openapi,
    audit_openapi,
)


def all_operations() -> list[Operation]:
    """Return every documented operation, the document's own included."""
    operations = [operation for module in DOMAINS for operation in module.OPERATIONS]
    return [*operations, *DOCUMENT_OPERATIONS]


def _parameters(settings: dict[str, Any]) -> dict[str, Any]:
    """Return the shared parameters, with the page size limits of ``settings``."""
    largest = settings["access_platform.list.max_limit"]
    limit = copy.deepcopy(PARAMETERS["limit"])
    limit["schema"]["maximum"] = largest
    limit["schema"]["default"] = min(limit["schema"]["default"], largest)
    return {**PARAMETERS, "limit": limit}


def build_document(settings: dict[str, Any], permission_names: list[str]) -> dict[str, Any]:
    """Return the OpenAPI document for an app with ``settings``.

    :param permission_names: the app's permission catalogue, which role
        bodies must choose from; it depends on the enabled plugins.

    :raises ValueError: when two operations share an id or a path and
        method, or two domains define the same schema name.
    """
    operations = all_operations()
    _check_unique(operations)

    schemas: dict[str, Any] = {
        "ProblemDetails": PROBLEM_DETAILS,
        "PermissionName": {
            "type": "string",
            "enum": [ALL_PERMISSIONS_NAME, *permission_names],
            "description": "A permission from GET /permissions, or * for every permission.",
        },
    }
    for module in DOMAINS:
        for name, schema in module.SCHEMAS.items():
            if name in schemas:
                raise ValueError(f"schema {name} is defined twice (again in {module.__name__})")
            schemas[name] = schema

    paths: dict[str, dict[str, Any]] = {}
    for operation in operations:
        paths.setdefault(operation.path, {})[operation.method.lower()] = operation.to_openapi(
            _links(operation, operations)
        )

    tags: list[str] = []
    for operation in operations:
        if operation.tag not in tags:
            tags.append(operation.tag)

    cookie_name = settings["access_platform.session.cookie_name"]
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "access-platform REST API",
            "version": version("access-platform"),
            "description": (
                "Users, groups, roles, permissions, role assignments, workspaces, invitations "
                "and SCIM tokens. Errors are RFC 9457 Problem Details. SCIM 2.0 provisioning "
                "under /scim/v2 is described by its own discovery endpoints, not here."
            ),
        },
        "servers": [{"url": "/api/v1"}],
        "tags": [{"name": tag} for tag in tags],
        "security": SAFE_SECURITY,
        "paths": paths,
        "components": {
            "schemas": schemas,
            "responses": dict(PROBLEM_RESPONSES.values()),
            "parameters": _parameters(settings),
            "headers": HEADERS,
            "securitySchemes": {
                "apiKey": {
                    "type": "apiKey",
                    "in": "header",
                    "name": API_KEY_HEADER,
                    "description": "An API key, for service clients.",
                },
                "session": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": cookie_name,
                    "description": "The session cookie that POST /auth/login sets, for browsers.",
                },
                "csrfToken": {
                    "type": "apiKey",
                    "in": "header",
                    "name": CSRF_HEADER,
                    "description": (
                        "The session's CSRF token from GET /auth/session. Every POST, PUT, "
                        "PATCH or DELETE authenticated by the session cookie must send it."
                    ),
                },
            },
        },
    }


def serialize(document: dict[str, Any]) -> bytes:
    """Return ``document`` as the UTF-8 JSON that the endpoint serves."""
    return json.dumps(document, ensure_ascii=False).encode("utf-8")


def _check_unique(operations: list[Operation]) -> None:
    ids: set[str] = set()
    routes: set[tuple[str, str]] = set()
    for operation in operations:
        route = (operation.method, operation.path)
        if operation.operation_id in ids or route in routes:
            raise ValueError(
                f"operation {operation.operation_id} ({operation.method} {operation.path}) "
                "repeats an operation id or a path and method"
            )
        ids.add(operation.operation_id)
        routes.add(route)


def _links(operation: Operation, operations: list[Operation]) -> dict[str, Any] | None:
    """Return the OpenAPI links from a creating operation to the operations on what it created."""
    if operation.creates is None:
        return None
    parameter = operation.creates.rsplit("{", 1)[1].rstrip("}")
    links = {}
    for target in operations:
        if target.path == operation.creates or target.path.startswith(operation.creates + "/"):
            links[target.operation_id] = {
                "operationId": target.operation_id,
                "parameters": {parameter: "$response.body#/id"},
            }
    return links
