"""WSGI middleware around the Pyramid app: request ids, body size, last-resort errors.

It sits outside Pyramid so that it sees every response, including those
that Pyramid's exception views produce after the tweens have unwound.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from access_platform.errors import ApiError, reason_phrase, render_error

log = logging.getLogger(__name__)

REQUEST_ID_HEADER = "X-Request-Id"
REQUEST_ID_ENVIRON_KEY = "access_platform.request_id"

# A client-chosen request id is kept only if it is short and printable, so
# that it cannot forge log lines or bloat them.
_CLIENT_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def invalid_path_reason(path: str) -> str | None:
    """Return why a WSGI ``PATH_INFO`` is rejected, or ``None`` when it is acceptable.

    ``PATH_INFO`` holds the percent-decoded path as Latin-1 characters. The
    path must be UTF-8, free of control characters, and free of ``.`` and
    ``..`` segments: traversal would resolve those, so that the path the
    security policy sees (``/healthz/../api/v1/users``) would not be the
    resource that answers.
    """
    try:
        decoded = path.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return "it is not valid UTF-8 once percent-decoded."
    if any(ord(character) < 32 or ord(character) == 127 for character in decoded):
        return "it contains a control character."
    if any(segment in (".", "..") for segment in decoded.split("/")):
        return "it contains a . or .. segment."
    return None


def _printable(path: str) -> str:
    # The instance member of an error about a bad path shows it escaped.
    return path.encode("latin-1", "backslashreplace").decode("ascii", "backslashreplace")


class PlatformMiddleware:
    """Assign a request id, reject oversized bodies, and turn escaped exceptions into 500s."""

    def __init__(self, app: WsgiApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        request_id = self._request_id(environ)
        environ[REQUEST_ID_ENVIRON_KEY] = request_id
        path = environ.get("PATH_INFO", "")

        def start_with_id(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            headers = [(name, value) for name, value in headers if name.lower() != "x-request-id"]
            headers.append((REQUEST_ID_HEADER, request_id))
            return start_response(status, headers, exc_info)

        path_problem = invalid_path_reason(path)
        if path_problem is not None:
            log.info("rejected path %r (request id %s): %s", path, request_id, path_problem)
            error = ApiError(400, f"The request path is invalid: {path_problem}")
            return self._error_response(error, _printable(path), request_id, start_with_id)

        declared_length = self._content_length(environ)
        if declared_length is not None and declared_length > self.max_body_bytes:
            error = ApiError(
                413,
                f"The request body is {declared_length} bytes; the maximum is "
                f"{self.max_body_bytes} bytes.",
            )
            return self._error_response(error, path, request_id, start_with_id)

        try:
            return self.app(environ, start_with_id)
        except Exception:
            # Pyramid's exception views handle errors raised by views; this
            # catches only what escapes them, such as a failing exception view.
            log.exception(
                "unhandled error in request %s %s (request id %s)",
                environ.get("REQUEST_METHOD"),
                path,
                request_id,
            )
            error = ApiError(
                500,
                "The server failed to handle the request. "
                f"Quote request id {request_id} when reporting it.",
            )
            return self._error_response(error, path, request_id, start_with_id)

    @staticmethod
    def _request_id(environ: dict[str, Any]) -> str:
        incoming = environ.get("HTTP_X_REQUEST_ID", "")
        if _CLIENT_REQUEST_ID.match(incoming):
            return incoming
        return uuid.uuid4().hex

    @staticmethod
    def _content_length(environ: dict[str, Any]) -> int | None:
        try:
            return int(environ.get("CONTENT_LENGTH") or "")
        except ValueError:
            return None

    @staticmethod
    def _error_response(
        error: ApiError, path: str, request_id: str, start_response: StartResponse
    ) -> Iterable[bytes]:
        body, media_type = render_error(error, path, request_id)
        status = f"{error.status} {reason_phrase(error.status)}"
        start_response(status, [("Content-Type", media_type), ("Content-Length", str(len(body)))])
        return [body]
