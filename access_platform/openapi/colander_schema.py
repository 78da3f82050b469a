"""JSON Schema (draft 2020-12, as OpenAPI 3.1 uses it) for the colander schemas of request bodies.

Request bodies are validated by colander (see :mod:`access_platform.payloads`),
so their documented schemas are derived from the same nodes rather than
written twice. The conversion handles the node types and validators that the
payload schemas use. A validator it does not recognise (a plain function) is
left out, so the server may reject more than the document describes. Such
bodies get the documented 422. A node may add JSON Schema keywords of its own with a
``json_schema`` keyword argument, for example
``SchemaNode(StrictString(), validator=check, json_schema={"format": "date-time"})``.
"""

from __future__ import annotations

from typing import Any

import colander

from access_platform.payloads import StrictBoolean, not_blank

# not_blank rejects strings of only whitespace: at least one other character.
NOT_BLANK_PATTERN = r"\S"


def json_schema(node: colander.SchemaNode) -> dict[str, Any]:
    """Return the JSON Schema that ``node`` accepts.

    :raises TypeError: for a node type the conversion does not know, so
        that a new type is noticed when the document is built.
    """
    schema = _type_schema(node)
    patterns: list[str] = []
    _add_validator(schema, patterns, node.validator)
    if len(patterns) == 1:
        schema["pattern"] = patterns[0]
    elif patterns:
        schema["allOf"] = [{"pattern": pattern} for pattern in patterns]

    if getattr(node, "nullable", False):
        schema["type"] = [schema["type"], "null"]
        if "enum" in schema:
            schema["enum"] = [*schema["enum"], None]
    if node.missing not in (colander.required, colander.drop, colander.null):
        schema["default"] = node.missing
    if node.description:
        schema["description"] = node.description
    schema.update(getattr(node, "json_schema", {}))
    return schema


def _type_schema(node: colander.SchemaNode) -> dict[str, Any]:
    node_type = node.typ
    if isinstance(node_type, colander.Mapping):
        schema: dict[str, Any] = {
            "type": "object",
            "properties": {child.name: json_schema(child) for child in node.children},
            # validate() in access_platform.payloads rejects unknown fields.
            "additionalProperties": False,
        }
        required = [child.name for child in node.children if child.missing is colander.required]
        if required:
            schema["required"] = required
        return schema
    if isinstance(node_type, colander.Sequence):
        return {"type": "array", "items": json_schema(node.children[0])}
    if isinstance(node_type, colander.String):
        return {"type": "string"}
    if isinstance(node_type, StrictBoolean):
        return {"type": "boolean"}
    if isinstance(node_type, colander.Integer):
        return {"type": "integer"}
    raise TypeError(f"no JSON Schema for colander type {type(node_type).__name__} of {node.name!r}")


def _add_validator(schema: dict[str, Any], patterns: list[str], validator: Any) -> None:
    if validator is None:
        return
    if isinstance(validator, colander.All):
        for part in validator.validators:
            _add_validator(schema, patterns, part)
    elif isinstance(validator, colander.Length):
        prefix = "Items" if schema["type"] == "array" else "Length"
        if validator.min is not None:
            schema[f"min{prefix}"] = validator.min
        if validator.max is not None:
            schema[f"max{prefix}"] = validator.max
    elif isinstance(validator, colander.OneOf):
        schema["enum"] = list(validator.choices)
    elif isinstance(validator, colander.Regex):
        # colander.Email is a Regex too.
        patterns.append(validator.match_object.pattern)
    elif validator is not_blank:
        patterns.append(NOT_BLANK_PATTERN)
