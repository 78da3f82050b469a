"""Reading JSON request bodies: media type, size, syntax, and schema validation.

Views call :func:`json_body` or :func:`validated_body` instead of reading
``request.json_body``, so that every surface rejects bad bodies the same
way: 415 for a media type that is not JSON, 413 for a body over the size
limit, 400 for malformed JSON, and 422 for a body that does not match its
schema, with unknown fields rejected rather than dropped.
"""

from __future__ import annotations

import json
import math
from typing import Any

import colander

from access_platform.errors import MALFORMED_JSON, ApiError, problem_type, validation_error

UNSUPPORTED_MEDIA_TYPE = problem_type("unsupported-media-type")


def _is_json_media_type(media_type: str) -> bool:
    # application/json and any structured-syntax "+json" type (RFC 6838
    # section 4.2.8), such as application/scim+json and
    # application/merge-patch+json. Media types are case-insensitive.
    media_type = media_type.lower()
    return media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )


def json_body(request: Any) -> Any:
    """Return the request body parsed as JSON.

    :raises ApiError: 415 unless the ``Content-Type`` is a JSON media type
        with no charset or UTF-8; 413 when the body is over
        ``access_platform.max_body_bytes``; 400 when it is empty or not JSON.
    """
    media_type = (request.content_type or "").strip()
    if not _is_json_media_type(media_type):
        shown = media_type or "none"
        raise ApiError(
            415,
            f"Content-Type {shown} is not supported; send the body as application/json.",
            type=UNSUPPORTED_MEDIA_TYPE,
            title="Unsupported media type",
            scim_type="invalidSyntax",
        )

    charset = request.headers.get("Content-Type", "").lower().partition("charset=")[2]
    charset = charset.split(";")[0].strip().strip('"')
    if charset and charset not in ("utf-8", "utf8"):
        raise ApiError(
            415,
            f"Charset {charset} is not supported; JSON bodies must be UTF-8.",
            type=UNSUPPORTED_MEDIA_TYPE,
            title="Unsupported media type",
            scim_type="invalidSyntax",
        )

    limit = request.registry.settings["access_platform.max_body_bytes"]
    raw = request.body
    if len(raw) > limit:
        raise ApiError(413, f"The request body is {len(raw)} bytes; the maximum is {limit} bytes.")
    if not raw.strip():
        raise ApiError(
            400,
            "The request body is empty; send a JSON object.",
            type=MALFORMED_JSON,
            title="Malformed JSON",
            scim_type="invalidSyntax",
        )

    try:
        document = json.loads(
            raw.decode("utf-8"), parse_constant=_reject_constant, parse_float=_finite_float
        )
    except UnicodeDecodeError as error:
        detail = f"The request body is not valid UTF-8: {error.reason} at byte {error.start}."
    except json.JSONDecodeError as error:
        detail = (
            f"The request body is not valid JSON: {error.msg} "
            f"at line {error.lineno} column {error.colno}."
        )
    except RecursionError:
        detail = "The request body nests arrays or objects too deeply."
    except ValueError as error:
        # For example an integer literal longer than Python converts.
        detail = f"The request body holds a value that cannot be read: {error}."
    else:
        detail = unacceptable_text(document)
        if detail is None:
            return document
    raise ApiError(
        400, detail, type=MALFORMED_JSON, title="Malformed JSON", scim_type="invalidSyntax"
    )


def _reject_constant(name: str) -> Any:
    # Python's parser accepts NaN, Infinity and -Infinity, which JSON (RFC
    # 8259) does not have and no database column stores.
    raise ValueError(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    number = float(text)
    if math.isinf(number):
        raise ValueError(f"the number {text[:40]} is too large")
    return number


MAX_NESTING = 32


def unacceptable_text(document: Any) -> str | None:
    """Return why a parsed JSON document is refused, or ``None`` when it is fine.

    JSON allows escapes that no database stores: a lone UTF-16 surrogate
    (``"\\ud800"``) and the NUL character. Both are rejected here, with
    nesting deeper than :data:`MAX_NESTING`, so that no later step fails on
    them. The walk is iterative, so it cannot exhaust the stack.
    """
    pending: list[tuple[Any, int]] = [(document, 0)]
    while pending:
        value, depth = pending.pop()
        if depth > MAX_NESTING:
            return f"The request body nests arrays or objects more than {MAX_NESTING} deep."
        if isinstance(value, dict):
            pending.extend((key, depth + 1) for key in value)
            pending.extend((item, depth + 1) for item in value.values())
        elif isinstance(value, list):
            pending.extend((item, depth + 1) for item in value)
        elif isinstance(value, str):
            if "\x00" in value:
                return (
                    "The request body contains the NUL character (\\u0000), which is not accepted."
                )
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return "The request body contains an unpaired surrogate escape, such as \\ud800."
    return None


def validated_body(
    request: Any, schema: colander.SchemaNode, read_only: frozenset[str] = frozenset()
) -> Any:
    """Return the JSON body deserialized by ``schema``; raise a 422 listing each invalid field."""
    return validate(json_body(request), schema, read_only)


def validate(
    data: Any, schema: colander.SchemaNode, read_only: frozenset[str] = frozenset()
) -> Any:
    """Deserialize ``data`` with ``schema``.

    Keys that the schema does not define are rejected at any depth, so a
    misspelled field is reported instead of silently ignored.

    :param read_only: top-level fields that exist but cannot be written;
        they are reported as read-only rather than unknown.
    :raises ApiError: 422 with one ``errors`` entry per invalid or unknown
        field, each with a JSON Pointer to it.
    """
    if isinstance(schema.typ, colander.Mapping) and not isinstance(data, dict):
        raise validation_error(
            [{"pointer": "#/", "detail": "The body must be a JSON object."}],
            detail="The request body must be a JSON object.",
        )

    errors = list(_unknown_field_errors(data, schema, ""))
    for error in errors:
        if error["pointer"].removeprefix("#/") in read_only:
            error["detail"] = "Read-only field; it cannot be set or changed."
    try:
        result = schema.deserialize(data)
    except colander.Invalid as invalid:
        errors.extend(_invalid_field_errors(invalid))
        result = None
    if errors:
        raise validation_error(_deduplicated(errors))
    return result


def _unknown_field_errors(data: Any, node: colander.SchemaNode, pointer: str):
    if isinstance(node.typ, colander.Mapping) and isinstance(data, dict):
        known = {child.name: child for child in node.children}
        for key, value in data.items():
            child = known.get(key)
            if child is None:
                yield {"pointer": f"#{pointer}/{_escape(key)}", "detail": "Unknown field."}
            else:
                yield from _unknown_field_errors(value, child, f"{pointer}/{_escape(key)}")
    elif isinstance(node.typ, colander.Sequence) and isinstance(data, list) and node.children:
        for index, item in enumerate(data):
            yield from _unknown_field_errors(item, node.children[0], f"{pointer}/{index}")


def _invalid_field_errors(invalid: colander.Invalid) -> list[dict[str, str]]:
    errors = []
    for path, message in invalid.asdict().items():
        # colander joins the node names with dots and prefixes the root's
        # name, which is empty for our schemas.
        parts = [part for part in path.split(".") if part]
        pointer = "#/" + "/".join(_escape(part) for part in parts)
        errors.append({"pointer": pointer, "detail": message})
    return errors


def _deduplicated(errors: list[dict[str, str]]) -> list[dict[str, str]]:
    seen: set[tuple[str, str]] = set()
    unique = []
    for error in errors:
        key = (error["pointer"], error["detail"])
        if key not in seen:
            seen.add(key)
            unique.append(error)
    return unique


def _escape(token: str) -> str:
    # JSON Pointer escaping, RFC 6901 section 3.
    return str(token).replace("~", "~0").replace("/", "~1")


class StrictString(colander.String):
    """A string that must arrive as a JSON string: ``42`` is rejected, not turned into ``"42"``.

    JSON ``null`` is accepted only by nodes created with ``nullable=True``,
    and then deserializes to ``None``; validators of such nodes must accept
    ``None``. An empty string stays an empty string, for the validators to
    judge, instead of counting as a missing value as colander's default does.
    """

    def __init__(self) -> None:
        super().__init__(allow_empty=True)

    def deserialize(self, node: colander.SchemaNode, cstruct: Any) -> Any:
        if cstruct is None:
            if getattr(node, "nullable", False):
                return None
            raise colander.Invalid(node, "Expected a string, got null.")
        if cstruct is not colander.null and not isinstance(cstruct, str):
            raise colander.Invalid(node, f"Expected a string, got {_json_type(cstruct)}.")
        return super().deserialize(node, cstruct)


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return "a string"


class StrictBoolean(colander.SchemaType):
    """A boolean that must arrive as JSON ``true`` or ``false``."""

    def deserialize(self, node: colander.SchemaNode, cstruct: Any) -> Any:
        if cstruct is colander.null:
            return colander.null
        if not isinstance(cstruct, bool):
            raise colander.Invalid(node, f"Expected true or false, got {_json_type(cstruct)}.")
        return cstruct

    def serialize(self, node: colander.SchemaNode, appstruct: Any) -> Any:
        return appstruct


class NullableLength(colander.Length):
    """A length check that lets ``None`` (JSON null on a nullable node) through."""

    def __call__(self, node: colander.SchemaNode, value: Any) -> None:
        if value is not None:
            super().__call__(node, value)


def length(min: int | None = None, max: int | None = None) -> NullableLength:  # noqa: A002
    """Return a length validator that lets ``None`` (JSON null on a nullable node) through."""
    return NullableLength(min=min, max=max)


class NullableEmail(colander.Email):
    """colander's email address check, letting ``None`` through."""

    def __call__(self, node: colander.SchemaNode, value: Any) -> None:
        if value is not None:
            super().__call__(node, value)


def not_blank(node: colander.SchemaNode, value: str | None) -> None:
    """Reject a string of only whitespace."""
    if value is not None and not value.strip():
        raise colander.Invalid(node, "Must not be blank.")
