"""SCIM schema definitions (RFC 7643 section 7) as data, and their JSON representation.

Core schemas and plugin extensions are described with these classes and
contributed through the ``access_platform_scim_schemas`` hook; the
``/scim/v2/Schemas`` and ``/scim/v2/ResourceTypes`` endpoints render them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

AttributeType = Literal[
    "string", "boolean", "decimal", "integer", "dateTime", "binary", "reference", "complex"
]
Mutability = Literal["readOnly", "readWrite", "immutable", "writeOnly"]
Returned = Literal["always", "never", "default", "request"]
Uniqueness = Literal["none", "server", "global"]

SCHEMA_SCHEMA_URN = "urn:ietf:params:scim:schemas:core:2.0:Schema"


@dataclass(frozen=True)
class ScimAttribute:
    """One attribute definition, with the characteristics of RFC 7643 section 2.2 and 7."""

    name: str
    type: AttributeType = "string"
    multi_valued: bool = False
    description: str = ""
    required: bool = False
    case_exact: bool = False
    mutability: Mutability = "readWrite"
    returned: Returned = "default"
    uniqueness: Uniqueness = "none"
    canonical_values: tuple[str, ...] = ()
    reference_types: tuple[str, ...] = ()
    sub_attributes: tuple[ScimAttribute, ...] = ()

    def to_representation(self) -> dict[str, Any]:
        """Return the attribute as RFC 7643 section 7 describes it."""
        representation: dict[str, Any] = {
            "name": self.name,
            "type": self.type,
            "multiValued": self.multi_valued,
            "description": self.description,
            "required": self.required,
            "mutability": self.mutability,
            "returned": self.returned,
        }
        if self.type in ("string", "reference", "binary"):
            representation["caseExact"] = self.case_exact
        if self.type != "complex":
            representation["uniqueness"] = self.uniqueness
        if self.canonical_values:
            representation["canonicalValues"] = list(self.canonical_values)
        if self.reference_types:
            representation["referenceTypes"] = list(self.reference_types)
        if self.sub_attributes:
            representation["subAttributes"] = [
                attribute.to_representation() for attribute in self.sub_attributes
            ]
        return representation


@dataclass(frozen=True)
class ScimSchema:
    """A SCIM schema: a core resource schema or an extension of one.

    :ivar id: the schema URN.
    :ivar resource_type: ``"User"`` or ``"Group"``: the resource the schema
        describes (core) or extends (extension).
    :ivar extension: ``True`` for a schema extension (RFC 7643 section 3.3).
    :ivar required: for an extension, whether every resource must carry it.
    """

    id: str
    name: str
    description: str
    resource_type: str
    attributes: tuple[ScimAttribute, ...] = field(default_factory=tuple)
    extension: bool = False
    required: bool = False

    def to_representation(self, base_url: str) -> dict[str, Any]:
        """Return the schema as served by ``/scim/v2/Schemas``."""
        return {
            "schemas": [SCHEMA_SCHEMA_URN],
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "attributes": [attribute.to_representation() for attribute in self.attributes],
            "meta": {"resourceType": "Schema", "location": f"{base_url}/Schemas/{self.id}"},
        }
