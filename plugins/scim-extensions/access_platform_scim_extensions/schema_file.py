"""Reading and checking a file of SCIM schema definitions (RFC 7643 section 7).

A file contains one Schema resource or a JSON list of them, in the form that
``GET /scim/v2/Schemas/{id}`` returns. Every problem stops start-up with a
:class:`~pyramid.exceptions.ConfigurationError` that names the file, the
schema, the attribute and what to change. The checks are strict on purpose:
an attribute that the server would store but not treat as declared (a
``uniqueness`` it does not enforce, a ``returned`` it does not honour) is
rejected rather than accepted and ignored.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pyramid.exceptions import ConfigurationError

from access_platform.scim.schema import SCHEMA_SCHEMA_URN, ScimAttribute

TYPES = ("string", "boolean", "decimal", "integer", "dateTime", "binary", "reference", "complex")
# caseExact means something only for values compared as text.
TEXT_TYPES = frozenset({"string", "reference", "binary"})

# Characteristics the core honours for extension attributes. The others are
# listed with the reason they are rejected.
MUTABILITIES = ("readWrite", "immutable")
REJECTED_MUTABILITIES = {
    "readOnly": "no server code sets extension attributes, so a readOnly one would stay empty",
    "writeOnly": "the server returns every stored extension value",
}
RETURNED = ("default",)
REJECTED_RETURNED = {
    "always": "excludedAttributes can leave extension attributes out",
    "never": "the server returns every stored extension value",
    "request": "the server returns extension values without being asked",
}
UNIQUENESS = ("none",)
REJECTED_UNIQUENESS = {
    "server": "the server does not check that extension values are unique",
    "global": "the server does not check that extension values are unique",
}

# RFC 7643 section 2.1: ATTRNAME = ALPHA *( "-" / "_" / DIGIT / ALPHA ).
ATTRIBUTE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")
# A URN (RFC 8141) whose parts contain only the characters that the SCIM
# filter and path parser accepts in a URN prefix.
SCHEMA_URN = re.compile(r"urn:[A-Za-z0-9][A-Za-z0-9-]{0,30}[A-Za-z0-9](?::[A-Za-z0-9._-]+)+", re.I)
URN_EXAMPLE = "urn:example:params:scim:schemas:extension:acme:2.0:User"

SCHEMA_MEMBERS = frozenset({"schemas", "id", "name", "description", "attributes", "meta"})
ATTRIBUTE_MEMBERS = frozenset(
    {
        "name",
        "type",
        "multiValued",
        "description",
        "required",
        "caseExact",
        "mutability",
        "returned",
        "uniqueness",
        "canonicalValues",
        "referenceTypes",
        "subAttributes",
    }
)


@dataclass(frozen=True)
class DeclaredSchema:
    """One schema read from a file, before it is bound to a resource type."""

    id: str
    name: str
    description: str
    attributes: tuple[ScimAttribute, ...]
    path: Path


class SchemaFileError(ConfigurationError):
    """Raised for a schema file that cannot be read or breaks a rule; stops start-up."""


class _Location:
    """The position of a problem, for error messages: the file, the schema and the attribute."""

    def __init__(self, path: Path, schema: str | None = None, attribute: str | None = None) -> None:
        self.path = path
        self.schema = schema
        self.attribute = attribute

    def error(self, problem: str) -> SchemaFileError:
        where = [f"invalid SCIM schema file {self.path}"]
        if self.schema is not None:
            where.append(f"schema {self.schema}")
        if self.attribute is not None:
            where.append(f"attribute {self.attribute}")
        return SchemaFileError(f"{', '.join(where)}: {problem}")

    def within_schema(self, schema: str) -> _Location:
        return _Location(self.path, schema)

    def within_attribute(self, name: str) -> _Location:
        attribute = name if self.attribute is None else f"{self.attribute}.{name}"
        return _Location(self.path, self.schema, attribute)


def load_schema_file(path: Path) -> list[DeclaredSchema]:
    """Read ``path`` and return the schemas it declares, checked.

    :raises SchemaFileError: when the file cannot be read, is not JSON, or
        breaks a rule of RFC 7643 section 7 or of this server.
    """
    location = _Location(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise location.error(f"the file cannot be read as UTF-8 text ({error})") from error
    try:
        document = json.loads(text, object_pairs_hook=_object_without_repeated_members)
    except ValueError as error:
        raise location.error(f"the file is not valid JSON: {error}") from error

    entries = document if isinstance(document, list) else [document]
    if not entries:
        raise location.error("the list is empty; declare at least one schema")
    schemas = []
    for position, entry in enumerate(entries, start=1):
        schemas.append(_schema(entry, location, position))

    seen: dict[str, str] = {}
    for schema in schemas:
        folded = schema.id.casefold()
        if folded in seen:
            raise location.error(f"schema {schema.id} is declared twice")
        seen[folded] = schema.id
    return schemas


def _object_without_repeated_members(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """Build a JSON object, rejecting a member name that appears twice (``json`` keeps the last)."""
    result: dict[str, Any] = {}
    for name, value in pairs:
        if name in result:
            raise ValueError(f"the member {name!r} appears twice in one object")
        result[name] = value
    return result


# --- Schemas ------------------------------------------------------------------------------


def _schema(entry: Any, file_location: _Location, position: int) -> DeclaredSchema:
    if not isinstance(entry, dict):
        raise file_location.error(
            f"entry {position} is {_describe(entry)}; each schema must be a JSON object"
        )
    urn = entry.get("id")
    if not isinstance(urn, str) or SCHEMA_URN.fullmatch(urn) is None:
        raise file_location.error(
            f"entry {position} has the id {_describe(urn)}, which is not a schema URN; write "
            f"urn:<namespace>:<parts> with letters, digits, '.', '-' and '_' in each part, "
            f"such as {URN_EXAMPLE}"
        )
    location = file_location.within_schema(urn)
    _check_members(entry, SCHEMA_MEMBERS, location)

    schemas = entry.get("schemas")
    if schemas is not None and (not isinstance(schemas, list) or SCHEMA_SCHEMA_URN not in schemas):
        raise location.error(f'"schemas" must be a list containing {SCHEMA_SCHEMA_URN}, or absent')
    name = entry.get("name")
    if not isinstance(name, str) or not name.strip():
        raise location.error('"name" is missing; give the schema a short human-readable name')
    description = _optional_text(entry, "description", location)

    attributes = entry.get("attributes")
    if not isinstance(attributes, list) or not attributes:
        raise location.error('"attributes" must be a non-empty list of attribute definitions')
    parsed = _attributes(attributes, location, top_level=True)
    return DeclaredSchema(urn, name, description, parsed, file_location.path)


def _attributes(
    entries: list[Any], location: _Location, *, top_level: bool
) -> tuple[ScimAttribute, ...]:
    attributes: list[ScimAttribute] = []
    seen: dict[str, str] = {}
    for position, entry in enumerate(entries, start=1):
        attribute = _attribute(entry, location, position, top_level=top_level)
        folded = attribute.name.casefold()
        if folded in seen:
            raise location.within_attribute(attribute.name).error(
                f"the name repeats {seen[folded]!r}; attribute names are case-insensitive, "
                "so each must differ from the others in more than letter case"
            )
        seen[folded] = attribute.name
        attributes.append(attribute)
    return tuple(attributes)


# --- Attributes ---------------------------------------------------------------------------


def _attribute(entry: Any, parent: _Location, position: int, *, top_level: bool) -> ScimAttribute:
    kind = "attribute" if top_level else "sub-attribute"
    if not isinstance(entry, dict):
        raise parent.error(f"{kind} {position} is {_describe(entry)}, not a JSON object")
    name = entry.get("name")
    if not isinstance(name, str):
        raise parent.error(f'{kind} {position} has no "name"; every attribute needs one')
    location = parent.within_attribute(name)
    _check_name(name, location, top_level=top_level)
    _check_members(entry, ATTRIBUTE_MEMBERS, location)

    attribute_type = entry.get("type")
    if attribute_type not in TYPES:
        raise location.error(
            f'"type" is {_describe(attribute_type)}; use one of {", ".join(TYPES)}'
        )
    if name == "$ref" and attribute_type != "reference":
        raise location.error('"$ref" must have the type reference')

    multi_valued = _flag(entry, "multiValued", location)
    case_exact = _flag(entry, "caseExact", location)
    if case_exact and attribute_type not in TEXT_TYPES:
        raise location.error(
            f"caseExact is true, but {attribute_type} values are not compared as text; "
            "remove caseExact or set it to false"
        )

    sub_attributes = _sub_attributes(entry, attribute_type, location, top_level=top_level)
    return ScimAttribute(
        name,
        type=attribute_type,
        multi_valued=multi_valued,
        description=_optional_text(entry, "description", location),
        required=_flag(entry, "required", location),
        case_exact=case_exact,
        mutability=_choice(entry, "mutability", MUTABILITIES, REJECTED_MUTABILITIES, location),
        returned=_choice(entry, "returned", RETURNED, REJECTED_RETURNED, location),
        uniqueness=_choice(entry, "uniqueness", UNIQUENESS, REJECTED_UNIQUENESS, location),
        canonical_values=_canonical_values(entry, attribute_type, location),
        reference_types=_reference_types(entry, attribute_type, location),
        sub_attributes=sub_attributes,
    )


def _check_name(name: str, location: _Location, *, top_level: bool) -> None:
    if name == "$ref" and not top_level:
        return
    if ATTRIBUTE_NAME.fullmatch(name) is None:
        raise location.error(
            "the name must start with a letter and contain only letters, digits, '-' and '_'"
            + ("" if top_level else ', or be "$ref"')
        )
    if top_level and name.casefold() == "schemas":
        raise location.error(
            '"schemas" is reserved: clients send it in extension objects and the server '
            "ignores it there; choose another name"
        )


def _sub_attributes(
    entry: dict[str, Any], attribute_type: str, location: _Location, *, top_level: bool
) -> tuple[ScimAttribute, ...]:
    entries = entry.get("subAttributes")
    if attribute_type != "complex":
        if entries is not None:
            raise location.error(
                f"subAttributes are given, but the type is {attribute_type}; only complex "
                "attributes have sub-attributes"
            )
        return ()
    if not top_level:
        raise location.error(
            "a sub-attribute cannot be complex (RFC 7643 section 2.3.8); "
            "use a simple type or make it a top-level attribute"
        )
    if not isinstance(entries, list) or not entries:
        raise location.error("a complex attribute needs a non-empty list of subAttributes")
    return _attributes(entries, location, top_level=False)


def _canonical_values(
    entry: dict[str, Any], attribute_type: str, location: _Location
) -> tuple[str, ...]:
    values = entry.get("canonicalValues")
    if values is None:
        return ()
    if attribute_type not in ("string", "reference"):
        raise location.error(
            f"canonicalValues are given, but the type is {attribute_type}; they apply to "
            "string and reference attributes"
        )
    return _text_list(values, "canonicalValues", location)


def _reference_types(
    entry: dict[str, Any], attribute_type: str, location: _Location
) -> tuple[str, ...]:
    values = entry.get("referenceTypes")
    if attribute_type != "reference":
        if values is not None:
            raise location.error(
                f"referenceTypes are given, but the type is {attribute_type}; only reference "
                "attributes have them"
            )
        return ()
    if values is None:
        raise location.error(
            'a reference attribute needs "referenceTypes", such as ["external"] for URLs '
            '(RFC 7643 section 7), or ["User", "Group"] for SCIM resources'
        )
    types = _text_list(values, "referenceTypes", location)
    if not types:
        raise location.error('"referenceTypes" must name at least one type')
    return types


# --- Member values ------------------------------------------------------------------------


def _check_members(entry: dict[str, Any], allowed: frozenset[str], location: _Location) -> None:
    for member in entry:
        if member in allowed:
            continue
        spelled = {name.casefold(): name for name in allowed}.get(member.casefold())
        hint = (
            f"; member names are case-sensitive, write {spelled!r}"
            if spelled
            else f"; allowed members: {', '.join(sorted(allowed))}"
        )
        raise location.error(f"unknown member {member!r}{hint}")


def _flag(entry: dict[str, Any], member: str, location: _Location) -> bool:
    value = entry.get(member, False)
    if not isinstance(value, bool):
        raise location.error(f'"{member}" is {_describe(value)}; write true or false')
    return value


def _optional_text(entry: dict[str, Any], member: str, location: _Location) -> str:
    value = entry.get(member, "")
    if not isinstance(value, str):
        raise location.error(f'"{member}" is {_describe(value)}; write a string')
    return value


def _choice(
    entry: dict[str, Any],
    member: str,
    accepted: tuple[str, ...],
    rejected: dict[str, str],
    location: _Location,
) -> Any:
    value = entry.get(member, accepted[0])
    if value in accepted:
        return value
    if value in rejected:
        raise location.error(
            f'"{member}" is {value!r}, which this server cannot honour for extension '
            f"attributes: {rejected[value]}; use {' or '.join(repr(item) for item in accepted)}"
        )
    choices = ", ".join(repr(item) for item in (*accepted, *rejected))
    raise location.error(f'"{member}" is {_describe(value)}; RFC 7643 allows {choices}')


def _text_list(values: Any, member: str, location: _Location) -> tuple[str, ...]:
    if not isinstance(values, list) or not all(
        isinstance(value, str) and value for value in values
    ):
        raise location.error(f'"{member}" must be a list of non-empty strings')
    if len({value.casefold() for value in values}) != len(values):
        raise location.error(f'"{member}" lists a value twice')
    return tuple(values)


def _describe(value: Any) -> str:
    if value is None:
        return "missing or null"
    text = json.dumps(value)
    return text if len(text) <= 60 else text[:57] + "..."
