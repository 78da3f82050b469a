"""Apply SCIM PATCH requests (RFC 7644 section 3.5.2) to resources in their SCIM JSON form.

``apply_patch`` takes a resource as the dict the SCIM endpoints return, a PatchOp request
body and the resource's schemas, and returns a patched copy. The module uses no database or
web code. The caller loads the resource, patches it, stores the result and turns a
ScimPatchError into a 400 SCIM error response.

Attribute names are case-insensitive (RFC 7643 section 2.1) in paths, in ``value`` keys and
in the request members (``Operations``, ``op``, ``path``, ``value``). Patched attributes are
written under the schema's spelling. Extension attributes live in an object under the
extension's URN, and that URN is listed in ``schemas`` exactly while the object has
attributes.
"""

from __future__ import annotations

import base64
import binascii
import copy
import json
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from access_platform.scim.filter import (
    And,
    AttrPath,
    Compare,
    Expr,
    Not,
    Or,
    Present,
    ScimFilterError,
    matches,
    parse_path,
)
from access_platform.scim.schema import ScimAttribute, ScimSchema

PATCH_OP_URN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
PATCH_OPERATIONS = ("add", "remove", "replace")

# The common attributes of RFC 7643 section 3.1. No schema lists them, so every core schema
# gets them here. ``id`` and ``meta`` are set by the server, and ``externalId`` is the
# client's own identifier, compared case-exactly.
ID_ATTRIBUTE = ScimAttribute(
    "id",
    description="Identifier the service provider gives the resource.",
    case_exact=True,
    mutability="readOnly",
    returned="always",
    uniqueness="server",
)
EXTERNAL_ID_ATTRIBUTE = ScimAttribute(
    "externalId",
    description="Identifier the provisioning client gives the resource.",
    case_exact=True,
)
META_ATTRIBUTE = ScimAttribute(
    "meta",
    type="complex",
    description="Resource metadata.",
    mutability="readOnly",
    sub_attributes=(
        ScimAttribute("resourceType", case_exact=True, mutability="readOnly"),
        ScimAttribute("created", type="dateTime", mutability="readOnly"),
        ScimAttribute("lastModified", type="dateTime", mutability="readOnly"),
        ScimAttribute("location", type="reference", case_exact=True, mutability="readOnly"),
        ScimAttribute("version", case_exact=True, mutability="readOnly"),
    ),
)
COMMON_ATTRIBUTES = (ID_ATTRIBUTE, EXTERNAL_ID_ATTRIBUTE, META_ATTRIBUTE)

# RFC 3339 date-time, the form of SCIM dateTime values (RFC 7643 section 2.3.5).
_DATETIME_PATTERN = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?(?:Z|[+-][0-9]{2}:[0-9]{2})",
    re.IGNORECASE,
)

# SCIM integer values must fit a signed 64-bit integer, so that every stored value fits the
# BIGINT that filters cast it to. The range is this server's choice.
MIN_INTEGER = -(2**63)
MAX_INTEGER = 2**63 - 1

# Marks a request member that is absent, as opposed to present with the value null.
_MISSING: Any = object()


class ScimPatchError(Exception):
    """Raised when a PATCH request cannot be applied; the caller responds with status 400.

    ``scim_type`` is the RFC 7644 section 3.12 error code: invalidSyntax, invalidPath,
    invalidValue, noTarget or mutability. ``detail`` is a sentence for the client.
    """

    status = 400

    def __init__(self, scim_type: str, detail: str) -> None:
        super().__init__(detail)
        self.scim_type = scim_type
        self.detail = detail


@dataclass(frozen=True)
class ResolvedPath:
    """The attribute that a PATCH path or ``value`` key names, with the schema's definitions.

    ``schema`` is the core or extension schema that defines ``attribute``, or None for a
    common attribute (``id``, ``externalId``, ``meta``). ``sub_attribute`` is set for paths
    such as ``name.givenName`` and ``emails[type eq "work"].value``. ``value_filter`` is the
    filter in brackets, with names already checked against the sub-attributes.
    """

    schema: ScimSchema | None
    attribute: ScimAttribute
    sub_attribute: ScimAttribute | None = None
    value_filter: Expr | None = None

    @property
    def extension(self) -> ScimSchema | None:
        """Extension schema whose object contains the attribute, or None for a core attribute."""
        if self.schema is not None and self.schema.extension:
            return self.schema
        return None

    @property
    def text(self) -> str:
        """Canonical spelling of the path for messages, with ``[...]`` in place of a filter."""
        text = self.attribute.name
        if self.extension is not None:
            text = f"{self.extension.id}:{text}"
        if self.value_filter is not None:
            text += "[...]"
        if self.sub_attribute is not None:
            text += f".{self.sub_attribute.name}"
        return text


@dataclass(frozen=True)
class ResourceSchema:
    """Schemas of one resource type: its core schema and the extensions it accepts."""

    core: ScimSchema
    extensions: tuple[ScimSchema, ...] = ()

    def find_schema(self, urn: str) -> ScimSchema | None:
        """Return the core or extension schema whose URN is ``urn``, ignoring letter case."""
        folded = urn.casefold()
        for schema in (self.core, *self.extensions):
            if schema.id.casefold() == folded:
                return schema
        return None

    def resolve(self, path: AttrPath) -> ResolvedPath:
        """Resolve ``path`` to its schema, attribute and sub-attribute.

        Names match case-insensitively. A path without a URN prefix names a core or common
        attribute, so an extension attribute needs its extension's URN as prefix, even when
        no core attribute has its name.

        Raises ScimPatchError("invalidPath") for an unknown schema, attribute or
        sub-attribute, for ``schemas`` and for a sub-attribute of a simple attribute. A
        bracket filter raises it too unless the attribute is multi-valued and complex and
        the filter names only its sub-attributes.
        """
        path_text = _format_attr_path(path)
        if path.uri is None:
            schema = self.core
        else:
            schema = self.find_schema(path.uri)
            if schema is None:
                raise ScimPatchError(
                    "invalidPath",
                    f"Unknown schema URN '{_shorten(path.uri)}' in path '{_shorten(path_text)}'. "
                    f"Use {self.core.id} or an extension URN that this resource accepts.",
                )

        candidates = schema.attributes
        if not schema.extension:
            if path.attr.casefold() == "schemas":
                raise ScimPatchError(
                    "invalidPath",
                    "The attribute 'schemas' cannot be patched. Extension URNs are added to and "
                    "removed from it as extension attributes are set and removed.",
                )
            candidates = (*candidates, *COMMON_ATTRIBUTES)

        attribute = _find_attribute(candidates, path.attr)
        if attribute is None:
            raise ScimPatchError(
                "invalidPath",
                f"Unknown attribute '{_shorten(path.attr)}' in path '{_shorten(path_text)}'. "
                f"The {schema.name} schema ({schema.id}) has no such attribute.",
            )
        owner = None if attribute in COMMON_ATTRIBUTES else schema

        sub_attribute = None
        if path.sub_attr is not None:
            if attribute.type != "complex":
                raise ScimPatchError(
                    "invalidPath",
                    f"Attribute '{attribute.name}' is not complex, so path "
                    f"'{_shorten(path_text)}' cannot name a sub-attribute of it.",
                )
            sub_attribute = _find_attribute(attribute.sub_attributes, path.sub_attr)
            if sub_attribute is None:
                raise ScimPatchError(
                    "invalidPath",
                    f"Unknown sub-attribute '{_shorten(path.sub_attr)}' of '{attribute.name}' in "
                    f"path '{_shorten(path_text)}'. Use one of: "
                    f"{_list_names(attribute.sub_attributes)}.",
                )

        if path.value_filter is not None:
            if attribute.type != "complex" or not attribute.multi_valued:
                raise ScimPatchError(
                    "invalidPath",
                    f"Attribute '{attribute.name}' is not multi-valued and complex, so path "
                    f"'{_shorten(path_text)}' cannot filter its values.",
                )
            _check_filter_names(attribute, path.value_filter, path_text)

        return ResolvedPath(owner, attribute, sub_attribute, path.value_filter)

    def resolve_text(self, text: str) -> ResolvedPath:
        """Parse ``text`` as a PATCH path and resolve it.

        A path that does not parse, including a malformed bracket filter, raises
        ScimPatchError("invalidPath"). RFC 7644 would allow "invalidFilter" for the filter
        part, but one code for every bad path is simpler for clients to handle.
        """
        try:
            path = parse_path(text)
        except ScimFilterError as error:
            raise ScimPatchError(
                "invalidPath", f"Invalid path '{_shorten(text)}': {error}"
            ) from None
        return self.resolve(path)


@dataclass(frozen=True)
class PatchOperation:
    """One entry of ``Operations``, with ``op`` in lower case and ``value`` _MISSING if absent."""

    number: int
    op: str
    path: str | None
    value: Any


def apply_patch(resource: dict, body: Any, schema: ResourceSchema) -> dict:
    """Apply the PatchOp request ``body`` to ``resource`` and return the patched copy.

    The operations run in order on a deep copy, so ``resource`` is never changed. If any
    operation fails, ScimPatchError is raised and no change is kept (RFC 7644 section 3.5.2
    makes PATCH atomic). The detail of the error names the failing operation by its 1-based
    position. A request that changes nothing returns a copy equal to ``resource``, so the
    caller can leave ``meta.lastModified`` alone. The one exception is an input whose
    ``schemas`` is out of step with its extension objects, which comes back corrected.
    """
    operations = parse_operations(body)
    patched = copy.deepcopy(resource)
    for operation in operations:
        try:
            _apply_operation(patched, operation, schema)
        except ScimPatchError as error:
            raise ScimPatchError(
                error.scim_type, f"Operation {operation.number} ({operation.op}): {error.detail}"
            ) from None

    _sync_extension_schemas(patched, schema)
    return patched


def parse_operations(body: Any) -> list[PatchOperation]:
    """Check the PatchOp envelope and return its operations.

    ``body`` must be an object whose ``schemas`` lists the PatchOp URN and whose
    ``Operations`` is a non-empty list of objects. Each has an ``op`` of add, remove or
    replace in any letter case (Entra ID sends ``Add``), an optional string ``path`` and,
    for add and replace, a ``value``. Raises ScimPatchError with "invalidSyntax" for a
    malformed envelope and "invalidValue" for an add or replace without ``value``.
    """
    if not isinstance(body, dict):
        raise ScimPatchError(
            "invalidSyntax",
            "The request body must be a JSON object with 'schemas' and 'Operations'.",
        )

    schemas = _get_member(body, "schemas")
    if not isinstance(schemas, list) or not any(
        isinstance(urn, str) and urn.casefold() == PATCH_OP_URN.casefold() for urn in schemas
    ):
        raise ScimPatchError(
            "invalidSyntax", f"'schemas' must be a list containing {PATCH_OP_URN}."
        )

    entries = _get_member(body, "Operations")
    if not isinstance(entries, list) or not entries:
        raise ScimPatchError(
            "invalidSyntax", "'Operations' must be a non-empty list of operation objects."
        )

    operations = []
    for number, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict):
            raise ScimPatchError(
                "invalidSyntax",
                f"Operation {number} must be a JSON object with 'op', 'path' and 'value'.",
            )

        op = _get_member(entry, "op")
        if op is _MISSING:
            raise ScimPatchError(
                "invalidSyntax",
                f"Operation {number} is missing 'op'. Use 'add', 'remove' or 'replace'.",
            )
        if not isinstance(op, str) or op.casefold() not in PATCH_OPERATIONS:
            raise ScimPatchError(
                "invalidSyntax",
                f"Operation {number} has the invalid op {_describe(op)}. "
                "Use 'add', 'remove' or 'replace'.",
            )
        op = op.casefold()

        path = _get_member(entry, "path")
        if path is _MISSING or path is None:
            path = None
        elif not isinstance(path, str):
            raise ScimPatchError(
                "invalidSyntax", f"Operation {number} has a 'path' that is not a string."
            )

        value = _get_member(entry, "value")
        if op != "remove" and value is _MISSING:
            raise ScimPatchError(
                "invalidValue", f"Operation {number} ({op}) is missing the required 'value'."
            )
        operations.append(PatchOperation(number, op, path, value))
    return operations


def _apply_operation(resource: dict, operation: PatchOperation, schema: ResourceSchema) -> None:
    """Apply one operation in place, dispatching on its op and the form of its path."""
    op, path, value = operation.op, operation.path, operation.value

    if path is None:
        if op == "remove":
            raise ScimPatchError(
                "noTarget", "A remove operation needs a 'path' naming what to remove."
            )
        _apply_without_path(resource, op, value, schema)
        return

    # A bare schema URN would parse as an attribute named "User" of a schema ending in
    # ":2.0". It names the whole extension object instead, as the same ``value`` key does.
    whole_schema = schema.find_schema(path)
    if whole_schema is not None:
        if op == "remove":
            _remove_extension_object(resource, whole_schema)
        else:
            _apply_schema_object(resource, op, whole_schema, value, schema)
        return

    target = schema.resolve_text(path)
    if op == "add":
        _add(resource, target, value)
    elif op == "replace":
        _replace(resource, target, value)
    else:
        _remove(resource, target, value)


# --- Operations --------------------------------------------------------------------------


def _apply_without_path(resource: dict, op: str, value: Any, schema: ResourceSchema) -> None:
    """Apply an add or replace without ``path`` (RFC 7644 sections 3.5.2.1 and 3.5.2.3).

    ``value`` must be an object. Each key works as the path of its own operation with the
    same op: a plain name (``active``), a sub-attribute (``name.givenName``) or a
    URN-qualified name (``urn:...:enterprise:2.0:User:employeeNumber``, as Entra ID sends
    them). The value of a key that is a whole schema URN is an object of that schema's
    attributes, which is merged the same way.
    """
    if not isinstance(value, dict):
        raise ScimPatchError(
            "invalidValue",
            f"Without a 'path', the value of {op} must be an object of attributes, "
            f"not {_describe(value)}.",
        )

    for key, item in value.items():
        whole_schema = schema.find_schema(key)
        if whole_schema is not None:
            _apply_schema_object(resource, op, whole_schema, item, schema)
            continue
        _add_or_replace(resource, op, schema.resolve_text(key), item)


def _apply_schema_object(
    resource: dict, op: str, owner: ScimSchema, value: Any, schema: ResourceSchema
) -> None:
    """Add or replace each attribute of ``value``, an object of ``owner``'s attributes."""
    if not isinstance(value, dict):
        raise ScimPatchError(
            "invalidValue",
            f"The value for schema {owner.id} must be an object of its attributes, "
            f"not {_describe(value)}.",
        )

    for key, item in value.items():
        # Some clients serialize an extension object with its own "schemas"
        # member; it carries nothing to store.
        if key.casefold() == "schemas":
            continue
        _add_or_replace(resource, op, schema.resolve_text(f"{owner.id}:{key}"), item)


def _add_or_replace(resource: dict, op: str, target: ResolvedPath, value: Any) -> None:
    if op == "add":
        _add(resource, target, value)
    else:
        _replace(resource, target, value)


def _add(resource: dict, target: ResolvedPath, value: Any) -> None:
    """Apply an add operation to ``target`` (RFC 7644 section 3.5.2.1).

    * A single-valued attribute is set. A complex one merges the given sub-attributes into
      its current value.
    * A multi-valued attribute gets each given value that is not present yet. Values with a
      ``value`` sub-attribute compare by it and others as whole objects, so adding a group
      member again changes nothing. One object is taken as a list of one.
    * ``attr.sub`` on a multi-valued attribute sets the sub-attribute on every value, or
      adds one value containing it when there are none.
    * With a bracket filter, the matching values are updated. When none matches, one new
      value is appended, built from the filter's ``eq`` conditions, so
      ``emails[type eq "work"].value`` adds a work email. RFC 7644 leaves this case open.
      Entra ID sends this form and expects at most one value of each ``type``.

    A null value unassigns the target, as a remove would (RFC 7643 section 2.5).
    """
    _check_writable(target)
    if value is None:
        _remove(resource, target, _MISSING)
    elif target.value_filter is not None:
        _update_filtered_values(resource, target, value, append_when_unmatched=True)
    elif target.sub_attribute is not None:
        _set_sub_attribute(resource, target, value)
    elif target.attribute.multi_valued:
        _append_values(resource, target, value)
    else:
        _set_single_value(resource, target, value)


def _replace(resource: dict, target: ResolvedPath, value: Any) -> None:
    """Apply a replace operation to ``target`` (RFC 7644 section 3.5.2.3).

    * A single-valued attribute is set. A complex one replaces only the given
      sub-attributes, so replacing ``name.familyName`` or ``name`` with only a family name
      keeps ``givenName``.
    * A multi-valued attribute gets exactly the given values, and ``[]`` unassigns it.
    * ``attr.sub`` on a multi-valued attribute sets the sub-attribute on every value, or
      adds one value containing it when there are none.
    * With a bracket filter, the sub-attribute is set on every matching value, or the given
      object is merged into it. When nothing matches, ScimPatchError("noTarget") is raised.
      RFC 7644 replaces a whole matched value, but merging keeps the sub-attributes that a
      client does not resend.

    A null value unassigns the target, as a remove would (RFC 7643 section 2.5).
    """
    _check_writable(target)
    if value is None:
        _remove(resource, target, _MISSING)
    elif target.value_filter is not None:
        _update_filtered_values(resource, target, value, append_when_unmatched=False)
    elif target.sub_attribute is not None:
        _set_sub_attribute(resource, target, value)
    elif target.attribute.multi_valued:
        _replace_values(resource, target, value)
    else:
        _set_single_value(resource, target, value)


def _remove(resource: dict, target: ResolvedPath, value: Any) -> None:
    """Apply a remove operation to ``target`` (RFC 7644 section 3.5.2.2).

    * With a bracket filter, the matching values are removed, or with ``.sub`` that
      sub-attribute of each match. When nothing matches, nothing changes and no error is
      raised.
    * ``attr.sub`` removes the sub-attribute, from every value of a multi-valued attribute.
    * On a multi-valued attribute without filter, a ``value`` that is a list of objects
      removes exactly those values and skips the ones not present. Entra ID removes a group
      member this way, with ``[{"value": "<id>"}]``. Objects must carry ``value`` when the
      attribute has that sub-attribute, and other objects compare as a whole.
    * Otherwise the attribute is removed with all its values. ``value`` is not read then.

    A value left with no sub-attributes is dropped, and an attribute left with no values is
    unassigned. Removing a required attribute raises ScimPatchError("invalidValue").
    """
    _check_writable(target)
    attribute = target.attribute
    current = _read(resource, target)
    if _is_unassigned(current):
        return

    if target.value_filter is not None:
        values = _as_list(current)
        matched = set(_matching_indexes(target, values))
        if not matched:
            return
        if target.sub_attribute is None:
            new_value: Any = [item for index, item in enumerate(values) if index not in matched]
        else:
            new_value = [
                _without_sub_attribute(target, item) if index in matched else item
                for index, item in enumerate(values)
            ]
    elif target.sub_attribute is not None:
        if attribute.multi_valued:
            new_value = [_without_sub_attribute(target, item) for item in _as_list(current)]
        else:
            new_value = _without_sub_attribute(target, current)
    elif attribute.multi_valued and value is not _MISSING and value is not None:
        new_value = _without_listed_values(target, _as_list(current), value)
    else:
        new_value = None

    if isinstance(new_value, list):
        new_value = [item for item in new_value if item != {}]
    _check_immutable(attribute, current, new_value, target.text)
    _store(resource, target, new_value)


def _remove_extension_object(resource: dict, extension: ScimSchema) -> None:
    """Remove every attribute of ``extension``, for a remove whose path is the bare URN.

    Raises ScimPatchError("mutability") when the object contains a readOnly or immutable
    attribute, and "invalidValue" for an extension that every resource must carry.
    """
    if not extension.extension:
        raise ScimPatchError(
            "invalidPath",
            f"The core schema {extension.id} cannot be removed. Name an attribute instead.",
        )

    key = _find_key(resource, extension.id)
    data = resource.get(key) if key is not None else None
    if not isinstance(data, dict) or not data:
        return
    if extension.required:
        raise ScimPatchError(
            "invalidValue", f"The extension {extension.id} is required and cannot be removed."
        )

    for name in data:
        attribute = _find_attribute(extension.attributes, name)
        if attribute is None:
            continue
        target = ResolvedPath(extension, attribute)
        _check_writable(target)
        _check_immutable(attribute, data[name], None, target.text)
    del resource[key]


# --- Steps of add and replace --------------------------------------------------------------


def _set_single_value(resource: dict, target: ResolvedPath, value: Any) -> None:
    """Set a single-valued attribute. A complex value merges into the current one."""
    attribute = target.attribute
    current = _read(resource, target)
    new_value = _coerce_value(attribute, value, target.text)
    if attribute.type == "complex":
        base = current if isinstance(current, dict) else {}
        new_value = _merge_complex(attribute, base, new_value, target.text)
    _check_immutable(attribute, current, new_value, target.text)
    _store(resource, target, new_value)


def _append_values(resource: dict, target: ResolvedPath, value: Any) -> None:
    """Append the given values of a multi-valued attribute that are not present yet."""
    attribute = target.attribute
    current = _read(resource, target)
    values = _as_list(current)
    present = _ElementIndex(attribute, values)
    added = []
    for candidate in _coerce_value(attribute, value, target.text):
        if present.contains(candidate):
            continue
        values.append(candidate)
        present.add(candidate)
        added.append(len(values) - 1)

    _demote_other_primaries(target, values, added)
    _check_immutable(attribute, current, values, target.text)
    _store(resource, target, values)


def _replace_values(resource: dict, target: ResolvedPath, value: Any) -> None:
    """Replace all values of a multi-valued attribute, dropping repeated values."""
    attribute = target.attribute
    current = _read(resource, target)
    values: list = []
    present = _ElementIndex(attribute, values)
    for candidate in _coerce_value(attribute, value, target.text):
        if not present.contains(candidate):
            values.append(candidate)
            present.add(candidate)

    _demote_other_primaries(target, values, range(len(values)))
    _check_immutable(attribute, current, values, target.text)
    _store(resource, target, values)


def _set_sub_attribute(resource: dict, target: ResolvedPath, value: Any) -> None:
    """Set ``attr.sub`` without a filter: on the complex value, or on every value of a list."""
    attribute = target.attribute
    current = _read(resource, target)
    if attribute.multi_valued:
        new_value: Any = [_with_sub_attribute(target, item, value) for item in _as_list(current)]
        if not new_value:
            new_value = [_with_sub_attribute(target, {}, value)]
        _demote_other_primaries(target, new_value, range(len(new_value)))
    else:
        new_value = _with_sub_attribute(target, current, value)

    _check_immutable(attribute, current, new_value, target.text)
    _store(resource, target, new_value)


def _update_filtered_values(
    resource: dict, target: ResolvedPath, value: Any, append_when_unmatched: bool
) -> None:
    """Update the values that the bracket filter of ``target`` matches.

    With ``.sub`` the sub-attribute is set on each match, and otherwise ``value`` must be an
    object that is merged into each match. When nothing matches, add appends one value built
    from the filter (see _new_value_from_filter) and replace raises "noTarget".
    """
    attribute = target.attribute
    current = _read(resource, target)
    values = _as_list(current)
    indexes = _matching_indexes(target, values)

    if indexes:
        for index in indexes:
            values[index] = _update_matched_value(target, values[index], value)
    elif append_when_unmatched:
        values.append(_new_value_from_filter(target, value))
        indexes = [len(values) - 1]
    else:
        raise ScimPatchError(
            "noTarget",
            f"No value of '{attribute.name}' matches the filter in path '{target.text}', so "
            "there is nothing to replace. Use add to create the value.",
        )

    _demote_other_primaries(target, values, indexes)
    _check_immutable(attribute, current, values, target.text)
    _store(resource, target, values)


def _update_matched_value(target: ResolvedPath, item: dict, value: Any) -> dict:
    """Return ``item`` with the sub-attribute set, or with the object ``value`` merged in."""
    if target.sub_attribute is not None:
        return _with_sub_attribute(target, item, value)
    new_item = _coerce_complex(target.attribute, value, target.text)
    return _merge_complex(target.attribute, item, new_item, target.text)


def _new_value_from_filter(target: ResolvedPath, value: Any) -> dict:
    """Build the value that an add appends when its bracket filter matches nothing.

    The filter must be ``eq`` comparisons joined by ``and``, such as ``type eq "work"``,
    and each becomes a sub-attribute of the new value. The operation's value then goes in
    as for a matched value. Any other filter raises ScimPatchError("noTarget"), because it
    does not say what the new value should hold.
    """
    conditions = _equality_conditions(target.value_filter)
    if conditions is None:
        raise ScimPatchError(
            "noTarget",
            f"No value of '{target.attribute.name}' matches the filter in path "
            f"'{target.text}'. A new value can only be built from a filter of 'eq' comparisons "
            "joined by 'and', such as type eq \"work\".",
        )

    item: dict = {}
    for name, literal in conditions:
        sub_attribute = _find_attribute(target.attribute.sub_attributes, name)
        if sub_attribute is None:  # _check_filter_names has rejected this already.
            raise ScimPatchError("invalidPath", f"Unknown sub-attribute '{name}' in filter.")
        text = f"{target.attribute.name}.{sub_attribute.name}"
        item[sub_attribute.name] = _coerce_value(sub_attribute, literal, text)
    return _update_matched_value(target, item, value)


def _equality_conditions(expr: Expr | None) -> list[tuple[str, Any]] | None:
    """Return the (name, value) pairs of a filter made of ``eq`` and ``and``, else None."""
    if isinstance(expr, And):
        left = _equality_conditions(expr.left)
        right = _equality_conditions(expr.right)
        if left is None or right is None:
            return None
        return left + right
    if isinstance(expr, Compare) and expr.op == "eq" and expr.value is not None:
        return [(expr.path.attr, expr.value)]
    return None


def _with_sub_attribute(target: ResolvedPath, item: Any, value: Any) -> dict:
    """Return a copy of the complex value ``item`` with ``target``'s sub-attribute set."""
    sub_attribute = _required_sub_attribute(target)
    base = item if isinstance(item, dict) else {}
    new_sub_value = _coerce_value(sub_attribute, value, target.text)
    _check_immutable(sub_attribute, base.get(sub_attribute.name), new_sub_value, target.text)
    return {**base, sub_attribute.name: new_sub_value}


def _merge_complex(attribute: ScimAttribute, current: dict, new: dict, path_text: str) -> dict:
    """Return ``current`` with the sub-attributes of ``new`` set, checking immutable ones."""
    merged = dict(current)
    for name, sub_value in new.items():
        sub_attribute = _find_attribute(attribute.sub_attributes, name)
        if sub_attribute is not None:
            _check_immutable(sub_attribute, merged.get(name), sub_value, f"{path_text}.{name}")
        merged[name] = sub_value
    return merged


def _demote_other_primaries(target: ResolvedPath, values: list, written: Iterable[int]) -> None:
    """Keep at most one value marked primary, in place (RFC 7644 section 3.5.2).

    When an operation writes a value with ``"primary": true``, every other value gets
    ``"primary": false``. Writing two primary values at once raises "invalidValue".
    """
    attribute = target.attribute
    if attribute.type != "complex" or _find_attribute(attribute.sub_attributes, "primary") is None:
        return

    promoted = [
        index
        for index in written
        if isinstance(values[index], dict) and values[index].get("primary") is True
    ]
    if len(promoted) > 1:
        raise ScimPatchError(
            "invalidValue",
            f"More than one value of '{attribute.name}' is marked primary. "
            "Mark at most one value as primary.",
        )
    if not promoted:
        return

    for index, item in enumerate(values):
        if index != promoted[0] and isinstance(item, dict) and item.get("primary") is True:
            values[index] = {**item, "primary": False}


# --- Steps of remove ---------------------------------------------------------------------


def _without_sub_attribute(target: ResolvedPath, item: Any) -> Any:
    """Return a copy of the complex value ``item`` without ``target``'s sub-attribute."""
    sub_attribute = _required_sub_attribute(target)
    if not isinstance(item, dict):
        return item
    _check_immutable(sub_attribute, item.get(sub_attribute.name), None, target.text)
    return {name: value for name, value in item.items() if name != sub_attribute.name}


def _without_listed_values(target: ResolvedPath, values: list, listed: Any) -> list:
    """Return ``values`` without those that equal an entry of ``listed``.

    ``listed`` is a list of values, or one object. Entries of a complex attribute are
    objects, and they must carry ``value`` when the attribute has that sub-attribute.
    Entries not present are skipped.
    """
    attribute = target.attribute
    entries = listed if isinstance(listed, list) else [listed]
    candidates = _coerce_value(attribute, entries, target.text)
    has_value = _find_attribute(attribute.sub_attributes, "value") is not None
    if attribute.type == "complex" and has_value:
        for candidate in candidates:
            if "value" not in candidate:
                raise ScimPatchError(
                    "invalidValue",
                    f"Each value to remove from '{target.text}' must be an object with "
                    f'"value", such as {{"value": "<id>"}}, not {_describe(candidate)}.',
                )

    return [
        item
        for item in values
        if not any(_is_same_element(attribute, item, candidate) for candidate in candidates)
    ]


# --- Reading and writing the resource ------------------------------------------------------


def _read(resource: dict, target: ResolvedPath) -> Any:
    """Return the current value of ``target``'s attribute, or None when it is unassigned."""
    container = _container(resource, target.extension, create=False)
    if container is None:
        return None
    key = _find_key(container, target.attribute.name)
    return None if key is None else container[key]


def _store(resource: dict, target: ResolvedPath, value: Any) -> None:
    """Write ``value`` as the whole value of ``target``'s attribute, under its canonical name.

    None, ``[]`` and ``{}`` unassign the attribute, and an extension object left empty is
    removed. Unassigning a required attribute raises ScimPatchError("invalidValue").
    """
    attribute = target.attribute
    extension = target.extension
    unassigned = _is_unassigned(value)
    if unassigned and _is_unassigned(_read(resource, target)):
        return
    if unassigned and attribute.required:
        raise ScimPatchError(
            "invalidValue", f"Attribute '{target.text}' is required and cannot be removed."
        )

    container = _container(resource, extension, create=not unassigned)
    if container is None:
        return
    key = _find_key(container, attribute.name)
    if key is not None and (unassigned or key != attribute.name):
        del container[key]
    if not unassigned:
        container[attribute.name] = value
    elif extension is not None and not container:
        del resource[_find_key(resource, extension.id)]


def _container(resource: dict, extension: ScimSchema | None, create: bool) -> dict | None:
    """Return the object that contains the attributes of ``extension``, or the resource."""
    if extension is None:
        return resource
    key = _find_key(resource, extension.id)
    if key is not None and isinstance(resource[key], dict):
        return resource[key]
    if not create:
        return None
    if key is not None:
        del resource[key]
    resource[extension.id] = {}
    return resource[extension.id]


def _sync_extension_schemas(resource: dict, schema: ResourceSchema) -> None:
    """List each extension URN in ``schemas`` exactly when the resource has its object.

    An empty extension object is removed. A missing ``schemas`` starts from the core URN.
    """
    for extension in schema.extensions:
        key = _find_key(resource, extension.id)
        data = resource.get(key) if key is not None else None
        schemas = resource.get("schemas")
        if not isinstance(schemas, list):
            schemas = resource["schemas"] = [schema.core.id]
        listed = [urn for urn in schemas if _same_urn(urn, extension.id)]

        if isinstance(data, dict) and data:
            if not listed:
                schemas.append(extension.id)
            continue
        if key is not None:
            del resource[key]
        for urn in listed:
            schemas.remove(urn)


def _matching_indexes(target: ResolvedPath, values: list) -> list[int]:
    """Return the indexes of the values that ``target``'s bracket filter matches."""
    case_exact = _filter_case_exact(target.attribute)
    indexes = []
    for index, item in enumerate(values):
        if not isinstance(item, dict):
            continue
        try:
            matched = matches(target.value_filter, item, case_exact)
        except ScimFilterError as error:
            raise ScimPatchError(
                "invalidPath", f"Invalid filter in path '{target.text}': {error}"
            ) from None
        if matched:
            indexes.append(index)
    return indexes


# --- Values: coercion and comparison -------------------------------------------------------


def _coerce_value(attribute: ScimAttribute, value: Any, path_text: str) -> Any:
    """Check ``value`` against the attribute's type and return it in canonical form.

    A multi-valued attribute returns a list, and one value that is not a list is taken as
    a list of one. Complex values drop null sub-attributes, and a complex value left with
    none is dropped from a list. Raises ScimPatchError("invalidValue") for a wrong type.
    """
    if not attribute.multi_valued:
        return _coerce_single(attribute, value, path_text)

    items = value if isinstance(value, list) else [value]
    values = []
    for item in items:
        if item is None:
            raise ScimPatchError(
                "invalidValue", f"The values of '{path_text}' cannot contain null."
            )
        coerced = _coerce_single(attribute, item, path_text)
        if coerced != {}:
            values.append(coerced)
    return values


def _coerce_single(attribute: ScimAttribute, value: Any, path_text: str) -> Any:
    """Check one value of ``attribute`` and return it in canonical form."""
    if attribute.type != "complex":
        return _coerce_simple(attribute, value, path_text)

    # Entra ID sends the enterprise ``manager`` as the manager's id alone, so a string for
    # a single-valued complex attribute with a ``value`` sub-attribute is read as its value.
    if (
        isinstance(value, str)
        and not attribute.multi_valued
        and _find_attribute(attribute.sub_attributes, "value") is not None
    ):
        value = {"value": value}
    return _coerce_complex(attribute, value, path_text)


def _coerce_complex(attribute: ScimAttribute, value: Any, path_text: str) -> dict:
    """Check a complex value and return it with canonical sub-attribute names.

    Null sub-attributes are dropped, because clients such as Entra ID send ``"$ref": null``
    for "not given". Unknown sub-attributes raise "invalidPath", and readOnly ones
    "mutability".
    """
    if not isinstance(value, dict):
        raise ScimPatchError(
            "invalidValue",
            f"Attribute '{path_text}' is complex, so its value must be a JSON object, "
            f"not {_describe(value)}.",
        )

    result = {}
    for name, sub_value in value.items():
        sub_attribute = _find_attribute(attribute.sub_attributes, name)
        if sub_attribute is None:
            raise ScimPatchError(
                "invalidPath",
                f"Unknown sub-attribute '{_shorten(name)}' in the value of '{path_text}'. "
                f"Use one of: {_list_names(attribute.sub_attributes)}.",
            )
        if sub_value is None:
            continue
        sub_text = f"{path_text}.{sub_attribute.name}"
        if sub_attribute.mutability == "readOnly":
            raise ScimPatchError(
                "mutability", f"Sub-attribute '{sub_text}' is readOnly and cannot be set."
            )
        result[sub_attribute.name] = _coerce_value(sub_attribute, sub_value, sub_text)
    return result


def _coerce_simple(attribute: ScimAttribute, value: Any, path_text: str) -> Any:
    """Check a value of a simple type (RFC 7643 section 2.3) and return its JSON form.

    Booleans also accept the strings "true" and "false" in any letter case, because Entra
    ID sends ``"False"``. Integers must be JSON integers from MIN_INTEGER to MAX_INTEGER,
    and decimals JSON numbers that a double holds, never booleans. dateTime values must be
    RFC 3339 strings with a time zone, and binary values base64 strings. Strings and
    references must be JSON strings.
    """
    kind = attribute.type
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.casefold() in ("true", "false"):
            return value.casefold() == "true"
        raise _type_error(path_text, "a boolean (true or false)", value)

    if kind == "integer":
        if isinstance(value, int) and not isinstance(value, bool):
            if MIN_INTEGER <= value <= MAX_INTEGER:
                return value
            raise _type_error(path_text, f"an integer from {MIN_INTEGER} to {MAX_INTEGER}", value)
        raise _type_error(path_text, "an integer", value)

    if kind == "decimal":
        if isinstance(value, int | float) and not isinstance(value, bool):
            if _is_finite_double(value):
                return value
            raise _type_error(path_text, "a number within the range of a double", value)
        raise _type_error(path_text, "a number", value)

    if not isinstance(value, str):
        raise _type_error(path_text, "a string", value)

    if kind == "dateTime" and not _is_datetime(value):
        raise _type_error(path_text, "a date and time such as 2024-05-01T12:00:00Z", value)
    if kind == "binary":
        try:
            base64.b64decode(value, validate=True)
        except binascii.Error:
            raise _type_error(path_text, "a base64 string", value) from None
    return value


def _is_finite_double(value: int | float) -> bool:
    """Return whether ``value`` converts to a finite double, as filters compare decimals."""
    try:
        return math.isfinite(float(value))
    except OverflowError:
        return False


def _is_datetime(text: str) -> bool:
    if _DATETIME_PATTERN.fullmatch(text) is None:
        return False
    try:
        datetime.fromisoformat(text.upper())
    except ValueError:
        # The pattern accepts impossible dates such as month 13.
        return False
    return True


def _type_error(path_text: str, expected: str, value: Any) -> ScimPatchError:
    return ScimPatchError(
        "invalidValue",
        f"Invalid value {_describe(value)} for '{path_text}'. Send {expected}.",
    )


class _ElementIndex:
    """The values of a multi-valued attribute, for :func:`_is_same_element` checks in constant time.

    A group PATCH may add thousands of members at once, so each candidate is
    looked up by a key that compares as :func:`_is_same_element` does. Values
    without such a key, such as complex values without ``value``, are compared
    one by one.
    """

    def __init__(self, attribute: ScimAttribute, values: list) -> None:
        self.attribute = attribute
        self.value_attribute = (
            _find_attribute(attribute.sub_attributes, "value")
            if attribute.type == "complex"
            else None
        )
        self.keys: set = set()
        self.unkeyed: list = []
        for item in values:
            self.add(item)

    def _key(self, item: Any) -> Any:
        """Return the lookup key of ``item``, or ``None`` when it has none."""
        if self.attribute.type != "complex":
            return _simple_key(self.attribute, None, item)
        if isinstance(item, dict) and self.value_attribute is not None and "value" in item:
            inner = _simple_key(self.value_attribute, self.attribute, item["value"])
            return None if inner is None else ("value", inner)
        return None

    def add(self, item: Any) -> None:
        key = self._key(item)
        if key is None:
            self.unkeyed.append(item)
        else:
            self.keys.add(key)

    def contains(self, candidate: Any) -> bool:
        # A value with a key never equals one without: either its ``value``
        # is missing on one side, or the two values differ in type.
        key = self._key(candidate)
        if key is not None:
            return key in self.keys
        return any(
            _is_same_element(self.attribute, existing, candidate) for existing in self.unkeyed
        )


def _simple_key(attribute: ScimAttribute, parent: ScimAttribute | None, value: Any) -> Any:
    """Return a key equal for values that :func:`_simple_values_equal` finds equal, or ``None``."""
    if isinstance(value, str):
        return ("str", value if _is_case_exact(parent, attribute) else value.casefold())
    try:
        hash(value)
    except TypeError:
        return None
    return (type(value), value)


def _is_same_element(attribute: ScimAttribute, existing: Any, candidate: Any) -> bool:
    """Return whether ``candidate`` is already present as ``existing`` in a multi-valued list.

    Complex values compare by their ``value`` sub-attribute when ``candidate`` has one, and
    as whole objects otherwise. Strings compare by the caseExact rule of _is_case_exact.
    """
    if attribute.type != "complex":
        return _simple_values_equal(attribute, None, existing, candidate)
    if not isinstance(existing, dict) or not isinstance(candidate, dict):
        return existing == candidate

    value_attribute = _find_attribute(attribute.sub_attributes, "value")
    if value_attribute is not None and "value" in candidate:
        if "value" not in existing:
            return False
        return _simple_values_equal(
            value_attribute, attribute, existing["value"], candidate["value"]
        )
    return existing == candidate


def _simple_values_equal(
    attribute: ScimAttribute, parent: ScimAttribute | None, left: Any, right: Any
) -> bool:
    if isinstance(left, str) and isinstance(right, str) and not _is_case_exact(parent, attribute):
        return left.casefold() == right.casefold()
    return type(left) is type(right) and left == right


def _is_case_exact(parent: ScimAttribute | None, attribute: ScimAttribute) -> bool:
    """Return whether string values of ``attribute`` compare case-sensitively.

    The ``value`` of a complex attribute whose ``$ref`` refers to SCIM resources (Group
    ``members``, User ``groups``, the enterprise ``manager``) is a resource id. Ids are
    case-exact (RFC 7643 section 3.1), so such a ``value`` compares case-exactly, although
    RFC 7643 section 8.7.1 lists ``members.value`` with caseExact false.
    """
    if parent is not None and attribute.name == "value":
        reference = _find_attribute(parent.sub_attributes, "$ref")
        if reference is not None and set(reference.reference_types) - {"external", "uri"}:
            return True
    return attribute.case_exact


def _filter_case_exact(attribute: ScimAttribute) -> Callable[[AttrPath], bool]:
    """Build the ``case_exact`` callback of ``matches`` for a filter on ``attribute``'s values.

    Inside a bracket filter the callback receives a sub-attribute either alone
    (``type``) or qualified by the attribute (``emails.type``), so both forms resolve.
    """

    def case_exact(path: AttrPath) -> bool:
        name = path.attr if path.sub_attr is None else path.sub_attr
        sub_attribute = _find_attribute(attribute.sub_attributes, name)
        return sub_attribute is not None and _is_case_exact(attribute, sub_attribute)

    return case_exact


def _check_filter_names(attribute: ScimAttribute, expr: Expr, path_text: str) -> None:
    """Raise "invalidPath" unless every name in the bracket filter is a sub-attribute."""
    if isinstance(expr, And | Or):
        _check_filter_names(attribute, expr.left, path_text)
        _check_filter_names(attribute, expr.right, path_text)
        return
    if isinstance(expr, Not):
        _check_filter_names(attribute, expr.expr, path_text)
        return

    inner = expr.path if isinstance(expr, Compare | Present) else None
    if (
        inner is None
        or inner.uri is not None
        or inner.sub_attr is not None
        or inner.value_filter is not None
        or _find_attribute(attribute.sub_attributes, inner.attr) is None
    ):
        name = _format_attr_path(inner) if inner is not None else "a nested filter"
        raise ScimPatchError(
            "invalidPath",
            f"The filter in path '{_shorten(path_text)}' refers to '{_shorten(name)}', which is "
            f"not a sub-attribute of '{attribute.name}'. Use one of: "
            f"{_list_names(attribute.sub_attributes)}.",
        )


# --- Checks and small helpers --------------------------------------------------------------


def _check_writable(target: ResolvedPath) -> None:
    """Raise "mutability" when the target or its sub-attribute is readOnly."""
    for attribute in (target.attribute, target.sub_attribute):
        if attribute is not None and attribute.mutability == "readOnly":
            raise ScimPatchError(
                "mutability",
                f"Attribute '{target.text}' is readOnly, so PATCH cannot add, replace or "
                "remove it.",
            )


def _check_immutable(attribute: ScimAttribute, current: Any, new: Any, path_text: str) -> None:
    """Raise "mutability" when an immutable attribute that has a value would change.

    RFC 7644 section 3.5.2 lets a client set an immutable attribute only while it has no
    value. Setting the value it already has is not a change and passes.
    """
    if attribute.mutability != "immutable" or _is_unassigned(current) or current == new:
        return
    raise ScimPatchError(
        "mutability",
        f"Attribute '{path_text}' is immutable and already has a value, so it cannot be "
        "changed or removed.",
    )


def _required_sub_attribute(target: ResolvedPath) -> ScimAttribute:
    if target.sub_attribute is None:
        raise TypeError(f"Path '{target.text}' names no sub-attribute.")
    return target.sub_attribute


def _is_unassigned(value: Any) -> bool:
    """Return whether ``value`` counts as unassigned: null, ``[]`` or an empty object.

    RFC 7643 section 2.5 makes null and ``[]`` equivalent to an unassigned attribute. An
    empty complex value has no sub-attributes, so it is treated the same way.
    """
    return value is None or value == [] or value == {}


def _as_list(value: Any) -> list:
    if value is None:
        return []
    if isinstance(value, list):
        return list(value)
    return [value]


def _find_attribute(attributes: tuple[ScimAttribute, ...], name: str) -> ScimAttribute | None:
    folded = name.casefold()
    for attribute in attributes:
        if attribute.name.casefold() == folded:
            return attribute
    return None


def _find_key(container: dict, name: str) -> str | None:
    """Return the key of ``container`` that equals ``name`` ignoring case, or None."""
    if name in container:
        return name
    folded = name.casefold()
    for key in container:
        if isinstance(key, str) and key.casefold() == folded:
            return key
    return None


def _get_member(container: dict, name: str) -> Any:
    """Return the member ``name`` of a request object, matched ignoring case, or _MISSING."""
    key = _find_key(container, name)
    return _MISSING if key is None else container[key]


def _same_urn(left: Any, right: str) -> bool:
    return isinstance(left, str) and left.casefold() == right.casefold()


def _format_attr_path(path: AttrPath) -> str:
    text = path.attr if path.uri is None else f"{path.uri}:{path.attr}"
    if path.value_filter is not None:
        text += "[...]"
    if path.sub_attr is not None:
        text += f".{path.sub_attr}"
    return text


def _list_names(attributes: tuple[ScimAttribute, ...]) -> str:
    return ", ".join(attribute.name for attribute in attributes)


def _shorten(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _describe(value: Any) -> str:
    """Return ``value`` as short JSON for an error message."""
    if value is _MISSING:
        return "nothing"
    try:
        text = json.dumps(value)
    except (TypeError, ValueError):
        text = repr(value)
    return _shorten(text, 80)
