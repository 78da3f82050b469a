"""Running batch items as subrequests through the app's own traversal and views.

Each item runs as a Pyramid subrequest without tweens, in the batch
request's database session and inside a savepoint of its own: a failed
item rolls back only its own work. The subrequest takes its identity from
the batch request, so the batch's authentication and CSRF check cover it,
while each item's view still checks its own permission.
"""

from __future__ import annotations

import io
import json
import logging
import re
import sys
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from pyramid.request import Request

from access_platform.batch.envelope import BatchItem
from access_platform.batch.savepoint import ItemSavepoint
from access_platform.db import PARENT_REQUEST_KEY
from access_platform.error_views import error_response
from access_platform.errors import ApiError, problem_type, render_error
from access_platform.middleware import REQUEST_ID_ENVIRON_KEY
from access_platform.request_class import request_class

log = logging.getLogger(__name__)

FAILED_DEPENDENCY = problem_type("failed-dependency")
CALLER_DEACTIVATED = (
    "Not run, because an earlier request in this batch deactivated the user who sent it, "
    "which ended their credentials."
)

# The subrequests a batch may carry: (method, path pattern relative to
# /api/v1). Ids are matched as plain characters, without percent escapes
# or dots, so that no encoded slash or .. segment can reach another view.
SUPPORTED = (
    ("POST", re.compile(r"^/users$")),
    ("PATCH", re.compile(r"^/users/[A-Za-z0-9_-]+$")),
    ("POST", re.compile(r"^/users/[A-Za-z0-9_-]+/deactivate$")),
)

# Headers an item may not set: items carry no credentials of their own.
# Host would change the Location of created resources.
DROPPED_HEADERS = frozenset(
    {"authorization", "cookie", "x-api-key", "x-csrf-token", "content-length", "host"}
)
# WSGI environ key of the environ that each item of a batch starts from.
BASE_ENVIRON_KEY = "access_platform.batch_base_environ"
# Response headers copied into each item's result.
KEPT_HEADERS = ("Content-Type", "Location", "ETag", "Retry-After", "Allow")


@dataclass
class ItemResult:
    """The outcome of one item, as the batch response lists it."""

    id: str
    status: int
    headers: dict[str, str]
    # The item's response body as JSON text, ``null`` when it has none. It
    # goes into the batch response as it is, rather than being parsed and
    # serialized again.
    body_json: str

    @property
    def succeeded(self) -> bool:
        return 200 <= self.status < 300

    def to_json_text(self) -> str:
        """Return the item's member of the batch response's ``responses`` array."""
        return (
            f'{{"id": {json.dumps(self.id)}, "status": {self.status}, '
            f'"headers": {json.dumps(self.headers)}, "body": {self.body_json}}}'
        )


def _relative_path(url: str) -> str:
    path = urlsplit(url).path
    if path.startswith("/api/v1/"):
        path = path[len("/api/v1") :]
    if not path.startswith("/"):
        path = "/" + path
    return path.rstrip("/") or "/"


def _url_problem(url: str) -> str | None:
    """Return why an item URL is not a plain path relative to the API, or ``None``."""
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or url.startswith("//"):
        return f"{url!r} names a host; batch items take a path relative to /api/v1, such as /users."
    if parts.query or parts.fragment or "?" in url or "#" in url:
        return f"{url!r} has a query or fragment, which batch items do not take."
    return None


def _error_result(request: Any, item: BatchItem, path: str, error: ApiError) -> ItemResult:
    body, media_type = render_error(error, path, _item_request_id(request, item))
    headers = {"Content-Type": media_type, **error.headers}
    return ItemResult(item.id, error.status, headers, body.decode("utf-8"))


def _item_request_id(request: Any, item: BatchItem) -> str:
    return f"{request.request_id}/{item.id}"


def check_supported(item: BatchItem) -> ApiError | None:
    """Return the 400 or 405 for an item the batch does not run, or ``None``."""
    url_problem = _url_problem(item.url)
    if url_problem is not None:
        return ApiError(
            400,
            url_problem,
            type=problem_type("unsupported-batch-request"),
            title="Unsupported batch request",
        )
    path = _relative_path(item.url)
    methods = sorted({method for method, pattern in SUPPORTED if pattern.match(path)})
    if not methods:
        return ApiError(
            400,
            f"{item.method} {item.url} is not supported in a batch; supported are POST /users, "
            "PATCH /users/{id} and POST /users/{id}/deactivate.",
            type=problem_type("unsupported-batch-request"),
            title="Unsupported batch request",
        )
    if item.method not in methods:
        allow = ", ".join(methods)
        return ApiError(
            405,
            f"{item.method} is not supported on {item.url} in a batch; use {allow}.",
            headers={"Allow": allow},
        )
    return None


def run_item(
    request: Any, item: BatchItem, results: dict[str, ItemResult], position: int
) -> ItemResult:
    """Run one item, or return 424, 400 or 405 for it without running it.

    ``position`` is the item's place in the order of execution, which
    names the item's savepoint.
    """
    path = "/api/v1" + _relative_path(item.url)
    failed = [dependency for dependency in item.depends_on if not results[dependency].succeeded]
    if failed:
        return _error_result(
            request,
            item,
            path,
            ApiError(
                424,
                f"Not run, because request {', '.join(failed)} that it depends on did not succeed.",
                type=FAILED_DEPENDENCY,
                title="Failed dependency",
                extensions={"failed_dependencies": failed},
            ),
        )

    unsupported = check_supported(item)
    if unsupported is not None:
        return _error_result(request, item, path, unsupported)

    subrequest = _build_subrequest(request, item, path)
    if _caller_deactivated(request):
        response = _error_response(subrequest, ApiError(401, CALLER_DEACTIVATED))
    else:
        response = _invoke_in_savepoint(request, subrequest, position)

    headers = {name: response.headers[name] for name in KEPT_HEADERS if name in response.headers}
    return ItemResult(item.id, response.status_int, headers, _body_json(response))


def _body_json(response: Any) -> str:
    """Return the body of ``response`` as JSON text: as it is when it is JSON, else as a string."""
    if not response.body:
        return "null"
    text = response.body.decode("utf-8", errors="replace")
    if (response.content_type or "").endswith("json"):
        return text
    return json.dumps(text)


def _invoke_in_savepoint(request: Any, subrequest: Request, position: int) -> Any:
    """Run ``subrequest`` in a savepoint of its own and return its response."""
    savepoint = ItemSavepoint(request.dbsession, f"batch_item_{position}")
    try:
        response = request.invoke_subrequest(subrequest, use_tweens=False)
        succeeded = 200 <= response.status_int < 300
        if succeeded:
            # Writing the item's last changes may still fail it.
            savepoint.commit()
    except Exception:
        savepoint.rollback()
        return subrequest.invoke_exception_view(sys.exc_info())
    if not succeeded:
        savepoint.rollback()
    return response


def _caller_deactivated(request: Any) -> bool:
    """Return whether an earlier item deactivated the user who sent the batch.

    Deactivation ends the user's sessions and API keys, so from then on a
    standalone request of theirs would get 401.
    """
    identity = request.identity
    return identity is not None and identity.user is not None and not identity.user.is_active


def _error_response(subrequest: Request, error: ApiError) -> Any:
    """Return the response that the error views give ``subrequest`` for ``error``."""
    subrequest.registry = subrequest.environ[PARENT_REQUEST_KEY].registry
    return error_response(subrequest, error)


def _base_environ(request: Any) -> dict[str, Any]:
    """Return the WSGI environ that every item of the batch ``request`` starts from.

    Built once per batch with ``Request.blank``, which derives the host,
    port, scheme and script name from the batch's URL.
    """
    base = request.environ.get(BASE_ENVIRON_KEY)
    if base is None:
        base = Request.blank("/", base_url=request.application_url).environ
        base["REMOTE_ADDR"] = request.remote_addr
        request.environ[BASE_ENVIRON_KEY] = base
    return base


def _build_subrequest(request: Any, item: BatchItem, path: str) -> Request:
    environ = dict(_base_environ(request))
    environ["REQUEST_METHOD"] = item.method
    environ["PATH_INFO"] = path
    environ["wsgi.input"] = io.BytesIO()
    subrequest = request_class(request.registry)(environ)
    for name, value in item.headers.items():
        if name.lower() not in DROPPED_HEADERS:
            subrequest.headers[name] = value
    if item.has_body:
        subrequest.body = json.dumps(item.body).encode("utf-8")
        if "Content-Type" not in subrequest.headers:
            subrequest.headers["Content-Type"] = "application/json"
    subrequest.environ[PARENT_REQUEST_KEY] = request
    subrequest.environ[REQUEST_ID_ENVIRON_KEY] = _item_request_id(request, item)
    return subrequest
