"""The OpenAPI document: served without credentials, and in step with the views.

The coverage tests enumerate what the app serves from Pyramid's view
registrations: each view's context class is placed in the URL tree by
:func:`access_platform.traversal.walk_tree`, which gives its path template,
and the view's request methods give the operations. Views that a plugin
adds (their callable lives outside the ``access_platform`` package) are not
part of the core document and are left out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from openapi_spec_validator import validate

from access_platform.resources import ApiV1
from access_platform.traversal import walk_tree

DOCUMENT_URL = "/api/v1/openapi.json"


@dataclass(frozen=True)
class ServedOperation:
    """A (path template, method) pair that some view under ``/api/v1`` serves."""

    path: str
    method: str
    view_module: str

    @property
    def from_plugin(self) -> bool:
        return not self.view_module.startswith("access_platform.")


def _applies_to(context: Any, resource_class: type) -> bool:
    if isinstance(context, type):
        return issubclass(resource_class, context)
    # A view registered for an interface applies to the classes implementing it.
    return bool(getattr(context, "implementedBy", lambda _cls: False)(resource_class))


def served_operations(registry: Any) -> set[ServedOperation]:
    """Return every operation that a view under ``/api/v1`` serves.

    A view without a request method accepts every method; it shows as ``*``.
    HEAD is left out because Pyramid serves it wherever GET is served.
    """
    tree = list(walk_tree(ApiV1))
    served = set()
    for entry in registry.introspector.get_category("views"):
        view = entry["introspectable"]
        if view["exception_only"] or view["context"] is None:
            continue
        methods = view["request_methods"] or ("*",)
        if isinstance(methods, str):
            methods = (methods,)
        module = getattr(view["callable"], "__module__", "") or ""
        for template, resource_class in tree:
            if not _applies_to(view["context"], resource_class):
                continue
            path = template
            if view["name"]:
                path = f"{template.rstrip('/')}/{view['name']}"
            served.update(
                ServedOperation(path, method, module) for method in methods if method != "HEAD"
            )
    return served


def documented_operations(document: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (path, method.upper())
        for path, item in document["paths"].items()
        for method in item
        if method in {"get", "put", "post", "patch", "delete", "options", "head", "trace"}
    }


def test_every_view_is_documented(registry):
    served = {(item.path, item.method) for item in served_operations(registry)}
    documented = documented_operations(registry.openapi_document)

    assert served - documented == set(), "views under /api/v1 without a documented operation"


def test_every_documented_operation_has_a_view(registry):
    served = {(item.path, item.method) for item in served_operations(registry)}
    documented = documented_operations(registry.openapi_document)

    assert documented - served == set(), "documented operations that no view serves"


def test_tree_walk_describes_every_container():
    # A container that finds children in its own __getitem__ must describe
    # them in child_segments too, or their views would escape the tests above.
    for template, resource_class in walk_tree(ApiV1):
        finder = next(cls for cls in resource_class.__mro__ if "__getitem__" in vars(cls))
        describer = next(cls for cls in resource_class.__mro__ if "child_segments" in vars(cls))
        assert issubclass(describer, finder), f"{template}: {resource_class.__name__}"


def test_plugin_views_are_left_out(plugin_app):
    registry = plugin_app.app.registry
    served = served_operations(registry)
    plugin_paths = {(item.path, item.method) for item in served if item.from_plugin}
    core = {(item.path, item.method) for item in served if not item.from_plugin}

    assert plugin_paths == {("/sample-greeting", "GET"), ("/sample-failure", "*")}
    assert core == documented_operations(registry.openapi_document)


def test_document_needs_no_credentials(testapp, registry):
    response = testapp.get(DOCUMENT_URL)

    assert response.status_code == 200
    assert response.content_type == "application/json"
    assert response.json == registry.openapi_document
    assert response.json["openapi"] == "3.1.0"


def test_document_rejects_other_methods(testapp, admin):
    response = testapp.post(DOCUMENT_URL, headers=admin.headers, status=405)

    assert response.headers["Allow"] == "GET, HEAD"


def test_document_is_valid_openapi(registry):
    # Raises with the failing part of the document when it is invalid.
    validate(registry.openapi_document)


def test_document_references_resolve(registry):
    document = registry.openapi_document
    text = repr(document)
    missing = set()
    for pointer in set(re.findall(r"'\$ref': '#/([^']+)'", text)):
        node: Any = document
        for part in pointer.split("/"):
            node = node.get(part) if isinstance(node, dict) else None
        if node is None:
            missing.add(pointer)

    assert missing == set()


def test_document_path_parameters_match_templates(registry):
    for path, item in registry.openapi_document["paths"].items():
        expected = set(re.findall(r"\{([^}]+)\}", path))
        for method, operation in item.items():
            declared = {
                parameter["name"]
                for parameter in operation.get("parameters", [])
                if parameter.get("in") == "path"
            }
            assert declared == expected, f"{method.upper()} {path}"


def test_document_problem_responses_use_problem_json(registry):
    responses = registry.openapi_document["components"]["responses"]

    for name, response in responses.items():
        assert list(response["content"]) == ["application/problem+json"], name
        assert response["content"]["application/problem+json"]["schema"] == {
            "$ref": "#/components/schemas/ProblemDetails"
        }, name


def test_document_security_schemes(registry):
    schemes = registry.openapi_document["components"]["securitySchemes"]

    assert schemes["apiKey"] == {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
        "description": schemes["apiKey"]["description"],
    }
    assert schemes["session"]["in"] == "cookie"
    assert schemes["session"]["name"] == registry.settings["access_platform.session.cookie_name"]
    assert schemes["csrfToken"]["name"] == "X-CSRF-Token"


def test_unsafe_operations_need_csrf_with_session(registry):
    for path, item in registry.openapi_document["paths"].items():
        for method, operation in item.items():
            if method == "get" or operation.get("security") == []:
                continue
            assert {"session": [], "csrfToken": []} in operation["security"], f"{method} {path}"
