"""Required extensions, attributes and sub-attributes (RFC 7643 sections 2.2 and 3.3).

POST and PUT must send everything required. A PATCH may leave a resource
lacking what it already lacked, so that users provisioned before an
extension became required can still be changed (for example deactivated),
but it may not remove or leave out anything else that is required.
"""

from __future__ import annotations

from typing import Any

from access_platform.scim.patch import ResourceSchema
from access_platform.scim.schema import ScimAttribute, ScimSchema


def missing_required(resource: dict[str, Any], schema: ResourceSchema) -> list[str]:
    """Return one sentence for each required part that ``resource`` lacks, in schema order.

    A required extension must have an object with at least one attribute.
    In the core schema and in each extension object that is present, every
    required attribute must have a value, and every value of a complex
    attribute must have its required sub-attributes. readOnly attributes are
    skipped because clients cannot set them. Names match ignoring case.
    The sentences name no position in a list, so that two calls on the
    resource before and after a PATCH can be compared.
    """
    problems = _missing_attributes(resource, schema.core, schema.core.id)
    for extension in schema.extensions:
        data = _value(resource, extension.id)
        if isinstance(data, dict) and data:
            problems.extend(_missing_attributes(data, extension, f"{extension.id}:"))
        elif extension.required:
            problems.append(
                f"The extension {extension.id} is required: send an object of its attributes "
                "under that URN."
            )
    return problems


def _missing_attributes(container: dict[str, Any], owner: ScimSchema, prefix: str) -> list[str]:
    # Core attributes are named without a prefix.
    prefix = prefix if owner.extension else ""
    problems = []
    for attribute in owner.attributes:
        if attribute.mutability == "readOnly":
            continue
        value = _value(container, attribute.name)
        path = f"{prefix}{attribute.name}"
        if _is_unassigned(value):
            if attribute.required:
                problems.append(f"Attribute '{path}' is required.")
            continue
        if attribute.type == "complex":
            problems.extend(_missing_sub_attributes(attribute, value, path))
    return problems


def _missing_sub_attributes(attribute: ScimAttribute, value: Any, path: str) -> list[str]:
    items = value if isinstance(value, list) else [value]
    problems = []
    for sub_attribute in attribute.sub_attributes:
        if not sub_attribute.required or sub_attribute.mutability == "readOnly":
            continue
        lacking = any(
            isinstance(item, dict) and _is_unassigned(_value(item, sub_attribute.name))
            for item in items
        )
        if lacking:
            owner = "Each value of" if attribute.multi_valued else "The value of"
            problems.append(
                f"{owner} '{path}' needs the required sub-attribute '{sub_attribute.name}'."
            )
    return problems


def _value(container: dict[str, Any], name: str) -> Any:
    folded = name.casefold()
    for key, value in container.items():
        if isinstance(key, str) and key.casefold() == folded:
            return value
    return None


def _is_unassigned(value: Any) -> bool:
    # RFC 7643 section 2.5: null and [] are the same as no value; an empty
    # complex value or string carries nothing either.
    return value is None or value in ([], {}, "")
