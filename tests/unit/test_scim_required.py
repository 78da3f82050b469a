"""Required extensions, attributes and sub-attributes, checked on whole SCIM resources."""

from __future__ import annotations

from dataclasses import replace

from access_platform.scim.core_schemas import USER_SCHEMA, USER_SCHEMA_URN
from access_platform.scim.patch import ResourceSchema
from access_platform.scim.required import missing_required
from access_platform.scim.schema import ScimAttribute, ScimSchema

URN = "urn:example:params:scim:schemas:extension:required:2.0:User"
EXTENSION = ScimSchema(
    id=URN,
    name="Required",
    description="Attributes for the required checks",
    resource_type="User",
    extension=True,
    attributes=(
        ScimAttribute("employeeKey", required=True),
        ScimAttribute("computed", required=True, mutability="readOnly"),
        ScimAttribute(
            "contract",
            type="complex",
            sub_attributes=(ScimAttribute("number", required=True), ScimAttribute("ends")),
        ),
        ScimAttribute(
            "devices",
            type="complex",
            multi_valued=True,
            sub_attributes=(ScimAttribute("value", required=True), ScimAttribute("type")),
        ),
    ),
)
OPTIONAL = ResourceSchema(USER_SCHEMA, (EXTENSION,))
REQUIRED = ResourceSchema(USER_SCHEMA, (replace(EXTENSION, required=True),))


def user(**extension) -> dict:
    resource = {"schemas": [USER_SCHEMA_URN], "userName": "ann@example.com"}
    if extension:
        resource[URN] = extension
    return resource


def test_complete_resource_lacks_nothing():
    resource = user(
        employeeKey="k", contract={"number": "1"}, devices=[{"value": "a"}, {"value": "b"}]
    )

    assert missing_required(resource, REQUIRED) == []


def test_optional_extension_may_be_absent():
    assert missing_required(user(), OPTIONAL) == []


def test_required_extension_must_be_present():
    assert missing_required(user(), REQUIRED) == [
        f"The extension {URN} is required: send an object of its attributes under that URN."
    ]


def test_required_attribute_of_present_extension():
    assert missing_required(user(contract={"number": "1"}), OPTIONAL) == [
        f"Attribute '{URN}:employeeKey' is required."
    ]


def test_empty_values_count_as_missing():
    for value in (None, "", [], {}):
        assert missing_required(user(employeeKey=value, contract={"number": "1"}), OPTIONAL) == [
            f"Attribute '{URN}:employeeKey' is required."
        ]


def test_required_sub_attribute_of_complex():
    assert missing_required(user(employeeKey="k", contract={"ends": "x"}), OPTIONAL) == [
        f"The value of '{URN}:contract' needs the required sub-attribute 'number'."
    ]


def test_required_sub_attribute_of_each_value():
    resource = user(employeeKey="k", devices=[{"value": "a"}, {"type": "phone"}, {"type": "x"}])

    assert missing_required(resource, OPTIONAL) == [
        f"Each value of '{URN}:devices' needs the required sub-attribute 'value'."
    ]


def test_names_match_ignoring_case():
    resource = {"userName": "ann@example.com", URN.upper(): {"EMPLOYEEKEY": "k"}}

    assert missing_required(resource, REQUIRED) == []


def test_core_required_attribute():
    assert missing_required({"schemas": [USER_SCHEMA_URN]}, OPTIONAL) == [
        "Attribute 'userName' is required."
    ]
