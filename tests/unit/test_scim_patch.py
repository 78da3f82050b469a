"""The SCIM PATCH engine on resource dicts: RFC 7644 rules and what Entra ID and Okta send."""

from __future__ import annotations

import copy

import pytest

from access_platform.scim.core_schemas import (
    ENTERPRISE_USER_SCHEMA,
    ENTERPRISE_USER_SCHEMA_URN,
    GROUP_SCHEMA,
    GROUP_SCHEMA_URN,
    USER_SCHEMA,
    USER_SCHEMA_URN,
)
from access_platform.scim.patch import (
    PATCH_OP_URN,
    ResourceSchema,
    ScimPatchError,
    apply_patch,
)
from access_platform.scim.schema import ScimAttribute, ScimSchema

TEST_EXTENSION_URN = "urn:example:params:scim:schemas:extension:test:2.0:User"

# Test-only extension with one attribute of each type that the core schemas lack.
TEST_EXTENSION = ScimSchema(
    id=TEST_EXTENSION_URN,
    name="TestUser",
    description="Attributes for tests",
    resource_type="User",
    extension=True,
    attributes=(
        ScimAttribute("isContractor", type="boolean"),
        ScimAttribute("badgeNumber", type="integer"),
        ScimAttribute("weight", type="decimal"),
        ScimAttribute("hireDate", type="dateTime"),
        ScimAttribute("employeeKey", mutability="immutable", case_exact=True),
        ScimAttribute("tags", multi_valued=True),
    ),
)

USERS = ResourceSchema(USER_SCHEMA, (ENTERPRISE_USER_SCHEMA, TEST_EXTENSION))
GROUPS = ResourceSchema(GROUP_SCHEMA)


def patch_body(*operations: dict) -> dict:
    return {"schemas": [PATCH_OP_URN], "Operations": list(operations)}


def make_user() -> dict:
    return {
        "schemas": [USER_SCHEMA_URN],
        "id": "user-1",
        "userName": "user1@example.com",
        "active": True,
        "name": {"givenName": "Given", "familyName": "Family"},
        "emails": [{"type": "home", "value": "home1@example.org"}],
        "meta": {"resourceType": "User", "created": "2024-01-01T00:00:00Z"},
    }


def make_group(*member_ids: str) -> dict:
    group = {"schemas": [GROUP_SCHEMA_URN], "id": "group-1", "displayName": "Group"}
    if member_ids:
        group["members"] = [{"value": member_id} for member_id in member_ids]
    return group


def member_ids(group: dict) -> list[str]:
    return [member["value"] for member in group.get("members", [])]


def patch_error(resource: dict, body: object, schema: ResourceSchema = USERS) -> ScimPatchError:
    """Apply ``body``, expect ScimPatchError, and check that ``resource`` is unchanged."""
    before = copy.deepcopy(resource)
    with pytest.raises(ScimPatchError) as raised:
        apply_patch(resource, body, schema)
    assert resource == before
    return raised.value


# --- op in any letter case -----------------------------------------------------------------


@pytest.mark.parametrize("op", ["replace", "Replace", "REPLACE"])
def test_replace_op_any_case(op):
    body = patch_body({"op": op, "path": "displayName", "value": "New Name"})

    result = apply_patch(make_user(), body, USERS)

    assert result["displayName"] == "New Name"


@pytest.mark.parametrize("op", ["add", "Add", "ADD"])
def test_add_member_op_any_case(op):
    body = patch_body({"op": op, "path": "members", "value": [{"$ref": None, "value": "u1"}]})

    result = apply_patch(make_group(), body, GROUPS)

    assert result["members"] == [{"value": "u1"}]


@pytest.mark.parametrize("op", ["remove", "Remove", "REMOVE"])
def test_remove_op_any_case(op):
    body = patch_body({"op": op, "path": 'members[value eq "u1"]'})

    result = apply_patch(make_group("u1", "u2"), body, GROUPS)

    assert member_ids(result) == ["u2"]


def test_merge_op_is_invalid_syntax():
    body = patch_body({"op": "merge", "path": "displayName", "value": "x"})

    error = patch_error(make_user(), body)

    assert error.scim_type == "invalidSyntax"
    assert "merge" in error.detail


def test_request_member_names_any_case():
    body = {
        "SCHEMAS": [PATCH_OP_URN],
        "operations": [{"OP": "Replace", "Path": "displayName", "VALUE": "New Name"}],
    }

    result = apply_patch(make_user(), body, USERS)

    assert result["displayName"] == "New Name"


# --- Booleans sent as strings ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("sent", "stored"),
    [("False", False), ("false", False), ("FALSE", False), ("True", True), ("tRUE", True)],
)
def test_boolean_string_with_path(sent, stored):
    body = patch_body({"op": "Replace", "path": "active", "value": sent})

    result = apply_patch(make_user(), body, USERS)

    assert result["active"] is stored


@pytest.mark.parametrize("sent", ["yes", "no", "", "1", 1, 0, 1.0, [True], {"value": True}])
def test_boolean_invalid_value(sent):
    body = patch_body({"op": "Replace", "path": "active", "value": sent})

    error = patch_error(make_user(), body)

    assert error.scim_type == "invalidValue"
    assert "active" in error.detail


def test_boolean_string_without_path():
    body = patch_body({"op": "replace", "value": {"active": "False"}})

    result = apply_patch(make_user(), body, USERS)

    assert result["active"] is False


def test_boolean_string_on_create():
    body = patch_body(
        {"op": "replace", "value": {"userName": "user1@example.com", "active": "True"}}
    )

    result = apply_patch({"schemas": [USER_SCHEMA_URN]}, body, USERS)

    assert result["active"] is True


def test_boolean_string_extension_path():
    body = patch_body({"op": "add", "path": f"{TEST_EXTENSION_URN}:isContractor", "value": "TRUE"})

    result = apply_patch(make_user(), body, USERS)

    assert result[TEST_EXTENSION_URN]["isContractor"] is True


def test_boolean_string_extension_key():
    body = patch_body({"op": "add", "value": {f"{TEST_EXTENSION_URN}:isContractor": "false"}})

    result = apply_patch(make_user(), body, USERS)

    assert result[TEST_EXTENSION_URN]["isContractor"] is False


def test_boolean_string_extension_object():
    body = patch_body({"op": "add", "value": {TEST_EXTENSION_URN: {"isContractor": "True"}}})

    result = apply_patch(make_user(), body, USERS)

    assert result[TEST_EXTENSION_URN]["isContractor"] is True


def test_boolean_string_extension_invalid():
    body = patch_body({"op": "add", "value": {TEST_EXTENSION_URN: {"isContractor": "yes"}}})

    error = patch_error(make_user(), body)

    assert error.scim_type == "invalidValue"
    assert "isContractor" in error.detail


def test_boolean_string_in_complex_value():
    body = patch_body(
        {"op": "add", "path": "emails", "value": [{"value": "w@example.com", "primary": "True"}]}
    )

    result = apply_patch(make_user(), body, USERS)

    assert result["emails"][1]["primary"] is True


def test_boolean_string_filtered_sub_attribute():
    body = patch_body({"op": "replace", "path": 'emails[type eq "home"].primary', "value": "true"})

    result = apply_patch(make_user(), body, USERS)

    assert result["emails"][0]["primary"] is True


def test_boolean_string_dotted_key():
    body = patch_body({"op": "add", "value": {"emails.primary": "TRUE"}})

    result = apply_patch(make_user(), body, USERS)

    assert result["emails"][0]["primary"] is True


# --- No path, dotted and URN-qualified keys --------------------------------------------------


def test_replace_without_path():
    body = patch_body({"op": "replace", "value": {"active": False}})

    result = apply_patch(make_user(), body, USERS)

    assert result["active"] is False


def test_dotted_and_urn_keys():
    body = patch_body(
        {
            "op": "replace",
            "value": {
                "displayName": "Display",
                "name.givenName": "Given 2",
                "name.familyName": "Family 2",
                f"{ENTERPRISE_USER_SCHEMA_URN}:employeeNumber": "E-42",
            },
        }
    )

    result = apply_patch(make_user(), body, USERS)

    assert result["displayName"] == "Display"
    assert result["name"] == {"givenName": "Given 2", "familyName": "Family 2"}
    assert result[ENTERPRISE_USER_SCHEMA_URN] == {"employeeNumber": "E-42"}
    assert ENTERPRISE_USER_SCHEMA_URN in result["schemas"]
    assert "name.givenName" not in result
    assert "name.familyName" not in result
    assert f"{ENTERPRISE_USER_SCHEMA_URN}:employeeNumber" not in result


def test_replace_family_name_keeps_given():
    body = patch_body({"op": "Replace", "path": "name.familyName", "value": "Family 3"})

    result = apply_patch(make_user(), body, USERS)

    assert result["name"]["familyName"] == "Family 3"
    assert result["name"]["givenName"] == "Given"


def test_replace_name_object_keeps_given():
    body = patch_body({"op": "replace", "path": "name", "value": {"familyName": "Family 3"}})

    result = apply_patch(make_user(), body, USERS)

    assert result["name"] == {"givenName": "Given", "familyName": "Family 3"}


def test_add_without_path_same_keys():
    body = patch_body(
        {
            "op": "add",
            "value": {
                "nickName": "Nick",
                "name.middleName": "Middle",
                f"{ENTERPRISE_USER_SCHEMA_URN}:department": "R&D",
            },
        }
    )

    result = apply_patch(make_user(), body, USERS)

    assert result["nickName"] == "Nick"
    assert result["name"]["middleName"] == "Middle"
    assert result["name"]["givenName"] == "Given"
    assert result[ENTERPRISE_USER_SCHEMA_URN] == {"department": "R&D"}


def test_core_urn_qualified_key():
    body = patch_body({"op": "replace", "value": {f"{USER_SCHEMA_URN}:name.givenName": "Core"}})

    result = apply_patch(make_user(), body, USERS)

    assert result["name"]["givenName"] == "Core"
    assert f"{USER_SCHEMA_URN}:name.givenName" not in result


def test_core_urn_qualified_path():
    body = patch_body({"op": "replace", "path": f"{USER_SCHEMA_URN}:userName", "value": "new"})

    result = apply_patch(make_user(), body, USERS)

    assert result["userName"] == "new"


def test_names_any_case_written_canonical():
    body = patch_body(
        {"op": "add", "path": "DISPLAYNAME", "value": "Display"},
        {"op": "add", "value": {"Name.GIVENNAME": "G", "EMAILS": [{"Value": "w@x.org"}]}},
    )

    result = apply_patch(make_user(), body, USERS)

    assert result["displayName"] == "Display"
    assert result["name"]["givenName"] == "G"
    assert result["emails"][1] == {"value": "w@x.org"}
    assert "DISPLAYNAME" not in result
    assert "EMAILS" not in result


def test_unknown_path_attribute():
    body = patch_body({"op": "replace", "path": "favoriteColor", "value": "blue"})

    error = patch_error(make_user(), body)

    assert error.scim_type == "invalidPath"
    assert "favoriteColor" in error.detail


def test_unknown_value_key():
    body = patch_body({"op": "replace", "value": {"displayName": "x", "favoriteColor": "blue"}})

    error = patch_error(make_user(), body)

    assert error.scim_type == "invalidPath"
    assert "favoriteColor" in error.detail


def test_unknown_dotted_value_key():
    body = patch_body({"op": "replace", "value": {"name.nickname": "x"}})

    error = patch_error(make_user(), body)

    assert error.scim_type == "invalidPath"
    assert "nickname" in error.detail


def test_unknown_sub_attribute_in_value():
    body = patch_body({"op": "add", "path": "emails", "value": [{"value": "a@b.c", "label": "x"}]})

    error = patch_error(make_user(), body)

    assert error.scim_type == "invalidPath"
    assert "label" in error.detail


def test_unknown_extension_key():
    body = patch_body({"op": "add", "value": {f"{ENTERPRISE_USER_SCHEMA_URN}:badge": "x"}})

    error = patch_error(make_user(), body)

    assert error.scim_type == "invalidPath"
    assert "badge" in error.detail


def test_extension_name_needs_urn():
    body = patch_body({"op": "add", "path": "employeeNumber", "value": "E-1"})

    error = patch_error(make_user(), body)

    assert error.scim_type == "invalidPath"
    assert "employeeNumber" in error.detail


# --- Filtered paths on multi-valued attributes -----------------------------------------------


def test_filtered_add_creates_values():
    body = patch_body(
        {"op": "Add", "path": 'emails[type eq "work"].value', "value": "user1@example.com"},
        {"op": "Add", "path": 'addresses[type eq "work"].locality', "value": "Berlin"},
        {"op": "Add", "path": 'addresses[type eq "work"].postalCode', "value": "10115"},
    )

    result = apply_patch(make_user(), body, USERS)

    assert result["emails"] == [
        {"type": "home", "value": "home1@example.org"},
        {"type": "work", "value": "user1@example.com"},
    ]
    assert result["addresses"] == [{"type": "work", "locality": "Berlin", "postalCode": "10115"}]


def test_filtered_add_updates_match():
    user = make_user()
    body = patch_body(
        {"op": "add", "path": 'emails[type eq "home"].value', "value": "home2@example.org"}
    )

    result = apply_patch(user, body, USERS)

    assert result["emails"] == [{"type": "home", "value": "home2@example.org"}]


def test_filtered_replace_updates_match():
    user = make_user()
    user["emails"].append({"type": "work", "value": "user1@example.com"})
    body = patch_body(
        {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "user1.new@example.com"}
    )

    result = apply_patch(user, body, USERS)

    assert result["emails"] == [
        {"type": "home", "value": "home1@example.org"},
        {"type": "work", "value": "user1.new@example.com"},
    ]


def test_filtered_replace_no_match():
    body = patch_body(
        {"op": "Replace", "path": 'phoneNumbers[type eq "fax"].value', "value": "+49 30 1234"}
    )

    error = patch_error(make_user(), body)

    assert error.scim_type == "noTarget"


def test_filter_type_ignores_case():
    body = patch_body({"op": "replace", "path": 'emails[TYPE eq "HOME"].value', "value": "h@x.org"})

    result = apply_patch(make_user(), body, USERS)

    assert result["emails"] == [{"type": "home", "value": "h@x.org"}]


def test_filtered_replace_merges_object():
    body = patch_body(
        {"op": "replace", "path": 'emails[type eq "home"]', "value": {"display": "Home"}}
    )

    result = apply_patch(make_user(), body, USERS)

    assert result["emails"] == [{"type": "home", "value": "home1@example.org", "display": "Home"}]


def test_filtered_add_with_and_conditions():
    body = patch_body(
        {
            "op": "add",
            "path": 'emails[type eq "work" and primary eq true].value',
            "value": "w@example.com",
        }
    )

    result = apply_patch(make_user(), body, USERS)

    assert result["emails"][1] == {"type": "work", "primary": True, "value": "w@example.com"}


def test_filtered_add_with_or_no_match():
    body = patch_body(
        {"op": "add", "path": 'emails[type eq "work" or type eq "other"].value', "value": "w@x"}
    )

    error = patch_error(make_user(), body)

    assert error.scim_type == "noTarget"


def test_filtered_remove_sub_attribute():
    user = make_user()
    user["emails"][0]["display"] = "Home"
    body = patch_body({"op": "remove", "path": 'emails[type eq "home"].display'})

    result = apply_patch(user, body, USERS)

    assert result["emails"] == [{"type": "home", "value": "home1@example.org"}]


def test_filtered_remove_email():
    user = make_user()
    user["emails"].append({"type": "work", "value": "w@example.com"})
    body = patch_body({"op": "remove", "path": 'emails[type eq "work"]'})

    result = apply_patch(user, body, USERS)

    assert result["emails"] == [{"type": "home", "value": "home1@example.org"}]


def test_remove_last_email_unassigns():
    body = patch_body({"op": "remove", "path": 'emails[type eq "home"]'})

    result = apply_patch(make_user(), body, USERS)

    assert "emails" not in result


# --- Group members ----------------------------------------------------------------------------


def test_remove_member_by_value_list():
    body = patch_body({"op": "Remove", "path": "members", "value": [{"value": "u2"}]})

    result = apply_patch(make_group("u1", "u2", "u3"), body, GROUPS)

    assert member_ids(result) == ["u1", "u3"]


def test_remove_value_list_skips_absent():
    body = patch_body(
        {"op": "Remove", "path": "members", "value": [{"value": "u9"}, {"value": "u2"}]}
    )

    result = apply_patch(make_group("u1", "u2", "u3"), body, GROUPS)

    assert member_ids(result) == ["u1", "u3"]


def test_remove_empty_value_list():
    body = patch_body({"op": "remove", "path": "members", "value": []})

    result = apply_patch(make_group("u1", "u2"), body, GROUPS)

    assert member_ids(result) == ["u1", "u2"]


def test_remove_value_list_needs_value():
    body = patch_body({"op": "remove", "path": "members", "value": [{"display": "u2"}]})

    error = patch_error(make_group("u1", "u2"), body, GROUPS)

    assert error.scim_type == "invalidValue"


def test_remove_member_by_filter():
    body = patch_body({"op": "remove", "path": 'members[value eq "u2"]'})

    result = apply_patch(make_group("u1", "u2", "u3"), body, GROUPS)

    assert member_ids(result) == ["u1", "u3"]


def test_remove_member_filter_no_match():
    group = make_group("u1", "u2", "u3")
    body = patch_body({"op": "remove", "path": 'members[value eq "u9"]'})

    result = apply_patch(group, body, GROUPS)

    assert result == group


def test_member_filter_case_exact():
    body = patch_body({"op": "remove", "path": 'members[value eq "U2"]'})

    result = apply_patch(make_group("u1", "u2"), body, GROUPS)

    assert member_ids(result) == ["u1", "u2"]


def test_remove_all_members():
    body = patch_body({"op": "remove", "path": "members"})

    result = apply_patch(make_group("u1", "u2", "u3"), body, GROUPS)

    assert "members" not in result


def test_remove_without_path():
    body = patch_body({"op": "remove"})

    error = patch_error(make_group("u1"), body, GROUPS)

    assert error.scim_type == "noTarget"


def test_replace_members_empty():
    body = patch_body({"op": "replace", "path": "members", "value": []})

    result = apply_patch(make_group("u2", "u3"), body, GROUPS)

    assert "members" not in result


def test_replace_members_with_one():
    body = patch_body(
        {
            "op": "replace",
            "path": "members",
            "value": [{"value": "u1", "display": "user1@example.com"}],
        }
    )

    result = apply_patch(make_group("u2", "u3"), body, GROUPS)

    assert result["members"] == [{"value": "u1", "display": "user1@example.com"}]


def test_add_member_without_type():
    body = patch_body(
        {"op": "add", "path": "members", "value": [{"value": "u1", "display": "user1@example.com"}]}
    )

    result = apply_patch(make_group("u2", "u3"), body, GROUPS)

    assert member_ids(result) == ["u2", "u3", "u1"]


def test_re_add_member_changes_nothing():
    body = patch_body(
        {"op": "add", "path": "members", "value": [{"value": "u1", "display": "user1@example.com"}]}
    )
    once = apply_patch(make_group("u2", "u3"), body, GROUPS)

    twice = apply_patch(once, body, GROUPS)

    assert twice == once
    assert member_ids(twice).count("u1") == 1


def test_duplicate_in_one_add():
    body = patch_body({"op": "add", "path": "members", "value": [{"value": "u1"}, {"value": "u1"}]})

    result = apply_patch(make_group(), body, GROUPS)

    assert member_ids(result) == ["u1"]


def test_duplicate_in_one_replace():
    body = patch_body(
        {"op": "replace", "path": "members", "value": [{"value": "u1"}, {"value": "u1"}]}
    )

    result = apply_patch(make_group("u2"), body, GROUPS)

    assert member_ids(result) == ["u1"]


def test_large_add_keeps_order_and_drops_repeats():
    added = [{"value": f"u{index % 3000}"} for index in range(6000)]
    body = patch_body({"op": "add", "path": "members", "value": added})

    result = apply_patch(make_group("u5", "u7"), body, GROUPS)

    expected = ["u5", "u7"] + [f"u{index}" for index in range(3000) if index not in (5, 7)]
    assert member_ids(result) == expected


def test_email_values_repeat_ignoring_case():
    body = patch_body(
        {
            "op": "add",
            "path": "emails",
            "value": [{"value": "HOME1@example.org"}, {"value": "b@x.io"}, {"value": "B@X.io"}],
        }
    )

    result = apply_patch(make_user(), body, USERS)

    assert [email["value"] for email in result["emails"]] == ["home1@example.org", "b@x.io"]


def test_member_ids_compare_case_exact():
    body = patch_body({"op": "add", "path": "members", "value": [{"value": "U1"}]})

    result = apply_patch(make_group("u1"), body, GROUPS)

    assert member_ids(result) == ["u1", "U1"]


def test_re_add_email_ignores_case():
    body = patch_body({"op": "add", "path": "emails", "value": [{"value": "HOME1@example.org"}]})

    result = apply_patch(make_user(), body, USERS)

    assert result["emails"] == [{"type": "home", "value": "home1@example.org"}]


def test_re_add_address_whole_object():
    user = make_user()
    user["addresses"] = [{"type": "work", "locality": "Berlin"}]
    body = patch_body(
        {"op": "add", "path": "addresses", "value": {"type": "work", "locality": "Berlin"}}
    )

    result = apply_patch(user, body, USERS)

    assert result["addresses"] == [{"type": "work", "locality": "Berlin"}]


def test_add_one_object_wraps_in_list():
    body = patch_body({"op": "add", "path": "members", "value": {"value": "u1"}})

    result = apply_patch(make_group(), body, GROUPS)

    assert result["members"] == [{"value": "u1"}]


def test_null_keys_dropped():
    body = patch_body(
        {"op": "add", "path": "members", "value": [{"value": "u1", "$ref": None, "type": None}]}
    )

    result = apply_patch(make_group(), body, GROUPS)

    assert result["members"] == [{"value": "u1"}]


# --- Atomicity -------------------------------------------------------------------------------


def test_failed_operation_keeps_input():
    user = make_user()
    before = copy.deepcopy(user)
    body = patch_body(
        {"op": "replace", "path": "displayName", "value": "Changed"},
        {"op": "replace", "path": "active", "value": "maybe"},
    )

    with pytest.raises(ScimPatchError) as raised:
        apply_patch(user, body, USERS)

    assert raised.value.scim_type == "invalidValue"
    assert "Operation 2" in raised.value.detail
    assert user == before


def test_success_keeps_input():
    user = make_user()
    before = copy.deepcopy(user)
    body = patch_body(
        {"op": "replace", "path": 'emails[type eq "home"].value', "value": "h@x.org"},
        {"op": "replace", "path": "name.givenName", "value": "Other"},
    )

    apply_patch(user, body, USERS)

    assert user == before


def test_failed_extension_add_keeps_input():
    user = make_user()
    body = patch_body(
        {"op": "add", "path": f"{ENTERPRISE_USER_SCHEMA_URN}:department", "value": "R&D"},
        {"op": "remove"},
    )

    error = patch_error(user, body)

    assert error.scim_type == "noTarget"
    assert ENTERPRISE_USER_SCHEMA_URN not in user


# --- Errors ----------------------------------------------------------------------------------

VALID_OPERATION = {"op": "replace", "path": "displayName", "value": "x"}


@pytest.mark.parametrize(
    "body",
    [
        None,
        [],
        "replace",
        {"Operations": [VALID_OPERATION]},
        {"schemas": PATCH_OP_URN, "Operations": [VALID_OPERATION]},
        {"schemas": [USER_SCHEMA_URN], "Operations": [VALID_OPERATION]},
        {"schemas": [PATCH_OP_URN]},
        {"schemas": [PATCH_OP_URN], "Operations": []},
        {"schemas": [PATCH_OP_URN], "Operations": VALID_OPERATION},
        {"schemas": [PATCH_OP_URN], "Operations": ["replace"]},
        {"schemas": [PATCH_OP_URN], "Operations": [{"path": "displayName", "value": "x"}]},
        {"schemas": [PATCH_OP_URN], "Operations": [{"op": 1, "value": {}}]},
        {"schemas": [PATCH_OP_URN], "Operations": [{"op": "add", "path": 5, "value": "x"}]},
    ],
)
def test_invalid_syntax(body):
    error = patch_error(make_user(), body)

    assert error.scim_type == "invalidSyntax"


@pytest.mark.parametrize(
    "operation",
    [
        {"op": "add", "path": "displayName"},
        {"op": "replace"},
        {"op": "replace", "value": "not an object"},
        {"op": "replace", "value": [{"displayName": "x"}]},
        {"op": "replace", "path": "userName", "value": 5},
        {"op": "replace", "path": "displayName", "value": ["x"]},
        {"op": "replace", "path": "name", "value": "Given Family"},
        {"op": "add", "path": "emails", "value": ["a@example.com"]},
        {"op": "add", "path": "emails", "value": [None]},
        {"op": "add", "path": "emails", "value": [{"value": 5}]},
        {"op": "add", "path": f"{TEST_EXTENSION_URN}:badgeNumber", "value": "5"},
        {"op": "add", "path": f"{TEST_EXTENSION_URN}:badgeNumber", "value": 5.5},
        {"op": "add", "path": f"{TEST_EXTENSION_URN}:badgeNumber", "value": True},
        {"op": "add", "path": f"{TEST_EXTENSION_URN}:badgeNumber", "value": 2**63},
        {"op": "add", "path": f"{TEST_EXTENSION_URN}:badgeNumber", "value": -(2**63) - 1},
        {"op": "add", "path": f"{TEST_EXTENSION_URN}:weight", "value": 10**400},
        {"op": "add", "path": f"{TEST_EXTENSION_URN}:weight", "value": float("inf")},
        {"op": "add", "path": f"{TEST_EXTENSION_URN}:weight", "value": float("nan")},
        {"op": "add", "path": f"{TEST_EXTENSION_URN}:hireDate", "value": "yesterday"},
        {"op": "add", "path": f"{TEST_EXTENSION_URN}:hireDate", "value": "2024-05-01"},
        {"op": "add", "path": f"{TEST_EXTENSION_URN}:hireDate", "value": "2024-13-01T00:00:00Z"},
        {"op": "add", "path": f"{TEST_EXTENSION_URN}:hireDate", "value": 1714560000},
        {"op": "add", "path": "x509Certificates", "value": [{"value": "not base64!"}]},
        {"op": "add", "path": ENTERPRISE_USER_SCHEMA_URN, "value": "E-1"},
        {"op": "remove", "path": "userName"},
        {"op": "replace", "path": "userName", "value": None},
        {
            "op": "add",
            "path": "emails",
            "value": [{"value": "a@x", "primary": True}, {"value": "b@x", "primary": True}],
        },
    ],
)
def test_invalid_value(operation):
    error = patch_error(make_user(), patch_body(operation))

    assert error.scim_type == "invalidValue"


@pytest.mark.parametrize("number", [2**63 - 1, -(2**63)])
def test_integer_range_limits_accepted(number):
    path = f"{TEST_EXTENSION_URN}:badgeNumber"
    body = patch_body({"op": "add", "path": path, "value": number})

    assert apply_patch(make_user(), body, USERS)[TEST_EXTENSION_URN]["badgeNumber"] == number


@pytest.mark.parametrize(
    "operation",
    [
        {"op": "add", "path": "", "value": "x"},
        {"op": "add", "path": "schemas", "value": ["urn:x"]},
        {"op": "remove", "path": "schemas"},
        {"op": "add", "value": {"schemas": [USER_SCHEMA_URN]}},
        {"op": "add", "path": "urn:example:unknown:2.0:User:title", "value": "x"},
        {"op": "add", "path": "name.nickName", "value": "x"},
        {"op": "add", "path": "userName.value", "value": "x"},
        {"op": "add", "path": 'name[givenName eq "Given"].familyName', "value": "x"},
        {"op": "add", "path": 'emails[type eq "work"', "value": "x"},
        {"op": "add", "path": 'emails[type eq "work"].value.extra', "value": "x"},
        {"op": "add", "path": 'emails[kind eq "work"].value', "value": "x"},
        {"op": "add", "path": 'emails[name.givenName eq "x"].value', "value": "x"},
        {"op": "remove", "path": "emails[type gt true]"},
        {"op": "remove", "path": "urn:ietf:params:scim:schemas:core:2.0:User"},
    ],
)
def test_invalid_path(operation):
    error = patch_error(make_user(), patch_body(operation))

    assert error.scim_type == "invalidPath"


@pytest.mark.parametrize(
    "operation",
    [
        {"op": "remove"},
        {"op": "Remove", "value": [{"value": "u1"}]},
        {"op": "replace", "path": 'emails[type eq "work"].value', "value": "w@x"},
        {"op": "replace", "path": 'emails[value eq "nobody@example.org"]', "value": {}},
    ],
)
def test_no_target(operation):
    error = patch_error(make_user(), patch_body(operation))

    assert error.scim_type == "noTarget"


# --- Mutability ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "operation",
    [
        {"op": "replace", "path": "id", "value": "other"},
        {"op": "remove", "path": "id"},
        {"op": "add", "path": "ID", "value": "other"},
        {"op": "replace", "value": {"id": "other"}},
        {"op": "replace", "path": "meta", "value": {"resourceType": "Group"}},
        {"op": "replace", "path": "meta.created", "value": "2020-01-01T00:00:00Z"},
        {"op": "remove", "path": "meta"},
        {"op": "add", "path": "groups", "value": [{"value": "group-1"}]},
        {"op": "remove", "path": "groups"},
        {"op": "remove", "path": 'groups[value eq "group-1"]'},
        {"op": "replace", "value": {"groups": []}},
        {
            "op": "add",
            "path": f"{ENTERPRISE_USER_SCHEMA_URN}:manager",
            "value": {"value": "boss", "displayName": "Boss"},
        },
        {"op": "add", "path": f"{ENTERPRISE_USER_SCHEMA_URN}:manager.displayName", "value": "B"},
    ],
)
def test_read_only(operation):
    error = patch_error(make_user(), patch_body(operation))

    assert error.scim_type == "mutability"


def test_external_id_is_writable():
    body = patch_body({"op": "add", "path": "externalId", "value": "ext-1"})

    result = apply_patch(make_user(), body, USERS)

    assert result["externalId"] == "ext-1"


def test_immutable_add_when_unset():
    body = patch_body({"op": "add", "path": f"{TEST_EXTENSION_URN}:employeeKey", "value": "K-1"})

    result = apply_patch(make_user(), body, USERS)

    assert result[TEST_EXTENSION_URN]["employeeKey"] == "K-1"


def test_immutable_replace_when_unset():
    body = patch_body({"op": "replace", "value": {f"{TEST_EXTENSION_URN}:employeeKey": "K-1"}})

    result = apply_patch(make_user(), body, USERS)

    assert result[TEST_EXTENSION_URN]["employeeKey"] == "K-1"


def user_with_employee_key() -> dict:
    user = make_user()
    user["schemas"].append(TEST_EXTENSION_URN)
    user[TEST_EXTENSION_URN] = {"employeeKey": "K-1"}
    return user


@pytest.mark.parametrize(
    "operation",
    [
        {"op": "add", "path": f"{TEST_EXTENSION_URN}:employeeKey", "value": "K-2"},
        {"op": "replace", "path": f"{TEST_EXTENSION_URN}:employeeKey", "value": "k-1"},
        {"op": "remove", "path": f"{TEST_EXTENSION_URN}:employeeKey"},
        {"op": "remove", "path": TEST_EXTENSION_URN},
        {"op": "replace", "value": {TEST_EXTENSION_URN: {"employeeKey": "K-2"}}},
    ],
)
def test_immutable_when_set(operation):
    error = patch_error(user_with_employee_key(), patch_body(operation))

    assert error.scim_type == "mutability"


def test_immutable_same_value():
    user = user_with_employee_key()
    body = patch_body({"op": "add", "path": f"{TEST_EXTENSION_URN}:employeeKey", "value": "K-1"})

    result = apply_patch(user, body, USERS)

    assert result == user


def test_member_display_set_once():
    body = patch_body({"op": "add", "path": 'members[value eq "u1"].display', "value": "User 1"})

    result = apply_patch(make_group("u1"), body, GROUPS)

    assert result["members"] == [{"value": "u1", "display": "User 1"}]


def test_member_display_immutable():
    group = make_group()
    group["members"] = [{"value": "u1", "display": "User 1"}]
    body = patch_body(
        {"op": "replace", "path": 'members[value eq "u1"].display', "value": "Renamed"}
    )

    error = patch_error(group, body, GROUPS)

    assert error.scim_type == "mutability"


# --- Extensions and schemas ------------------------------------------------------------------


def test_extension_add_lists_urn():
    body = patch_body(
        {"op": "add", "path": f"{ENTERPRISE_USER_SCHEMA_URN}:employeeNumber", "value": "E-1"}
    )

    result = apply_patch(make_user(), body, USERS)

    assert result[ENTERPRISE_USER_SCHEMA_URN] == {"employeeNumber": "E-1"}
    assert result["schemas"] == [USER_SCHEMA_URN, ENTERPRISE_USER_SCHEMA_URN]


def test_extension_urn_any_case():
    path = f"{ENTERPRISE_USER_SCHEMA_URN.lower()}:EMPLOYEENUMBER"
    body = patch_body({"op": "add", "path": path, "value": "E-1"})

    result = apply_patch(make_user(), body, USERS)

    assert result[ENTERPRISE_USER_SCHEMA_URN] == {"employeeNumber": "E-1"}


def user_with_enterprise(**attributes: object) -> dict:
    user = make_user()
    user["schemas"].append(ENTERPRISE_USER_SCHEMA_URN)
    user[ENTERPRISE_USER_SCHEMA_URN] = dict(attributes)
    return user


def test_extension_remove_last():
    user = user_with_enterprise(employeeNumber="E-1")
    body = patch_body({"op": "remove", "path": f"{ENTERPRISE_USER_SCHEMA_URN}:employeeNumber"})

    result = apply_patch(user, body, USERS)

    assert ENTERPRISE_USER_SCHEMA_URN not in result
    assert result["schemas"] == [USER_SCHEMA_URN]


def test_extension_remove_one_of_two():
    user = user_with_enterprise(employeeNumber="E-1", department="R&D")
    body = patch_body({"op": "remove", "path": f"{ENTERPRISE_USER_SCHEMA_URN}:employeeNumber"})

    result = apply_patch(user, body, USERS)

    assert result[ENTERPRISE_USER_SCHEMA_URN] == {"department": "R&D"}
    assert ENTERPRISE_USER_SCHEMA_URN in result["schemas"]


def test_extension_remove_whole_object():
    user = user_with_enterprise(employeeNumber="E-1", department="R&D")
    body = patch_body({"op": "remove", "path": ENTERPRISE_USER_SCHEMA_URN})

    result = apply_patch(user, body, USERS)

    assert ENTERPRISE_USER_SCHEMA_URN not in result
    assert result["schemas"] == [USER_SCHEMA_URN]


def test_extension_null_value_removes():
    user = user_with_enterprise(employeeNumber="E-1")
    body = patch_body(
        {"op": "replace", "value": {f"{ENTERPRISE_USER_SCHEMA_URN}:employeeNumber": None}}
    )

    result = apply_patch(user, body, USERS)

    assert ENTERPRISE_USER_SCHEMA_URN not in result
    assert result["schemas"] == [USER_SCHEMA_URN]


def test_extension_object_key_merges():
    user = user_with_enterprise(employeeNumber="E-1")
    body = patch_body(
        {"op": "replace", "value": {ENTERPRISE_USER_SCHEMA_URN: {"department": "R&D"}}}
    )

    result = apply_patch(user, body, USERS)

    assert result[ENTERPRISE_USER_SCHEMA_URN] == {"employeeNumber": "E-1", "department": "R&D"}


def test_extension_urn_path_merges():
    user = user_with_enterprise(employeeNumber="E-1")
    body = patch_body(
        {"op": "add", "path": ENTERPRISE_USER_SCHEMA_URN, "value": {"costCenter": "CC-7"}}
    )

    result = apply_patch(user, body, USERS)

    assert result[ENTERPRISE_USER_SCHEMA_URN] == {"employeeNumber": "E-1", "costCenter": "CC-7"}


def test_manager_id_as_string():
    body = patch_body(
        {"op": "Add", "path": f"{ENTERPRISE_USER_SCHEMA_URN}:manager", "value": "boss-id"}
    )

    result = apply_patch(make_user(), body, USERS)

    assert result[ENTERPRISE_USER_SCHEMA_URN] == {"manager": {"value": "boss-id"}}


def test_manager_value_sub_attribute():
    body = patch_body(
        {"op": "replace", "path": f"{ENTERPRISE_USER_SCHEMA_URN}:manager.value", "value": "b-2"}
    )

    result = apply_patch(user_with_enterprise(manager={"value": "b-1"}), body, USERS)

    assert result[ENTERPRISE_USER_SCHEMA_URN]["manager"] == {"value": "b-2"}


def test_extension_without_schemas_list():
    body = patch_body({"op": "add", "value": {f"{ENTERPRISE_USER_SCHEMA_URN}:division": "D"}})

    result = apply_patch({"userName": "u"}, body, USERS)

    assert result["schemas"] == [USER_SCHEMA_URN, ENTERPRISE_USER_SCHEMA_URN]


# --- Types and values ------------------------------------------------------------------------


def test_integer_and_datetime():
    body = patch_body(
        {
            "op": "add",
            "value": {
                TEST_EXTENSION_URN: {"badgeNumber": 1234, "hireDate": "2024-05-01T09:30:00+02:00"}
            },
        }
    )

    result = apply_patch(make_user(), body, USERS)

    assert result[TEST_EXTENSION_URN]["badgeNumber"] == 1234
    assert result[TEST_EXTENSION_URN]["hireDate"] == "2024-05-01T09:30:00+02:00"


def test_multi_valued_strings():
    body = patch_body(
        {"op": "add", "path": f"{TEST_EXTENSION_URN}:tags", "value": ["a", "b"]},
        {"op": "add", "path": f"{TEST_EXTENSION_URN}:tags", "value": "A"},
        {"op": "remove", "path": f"{TEST_EXTENSION_URN}:tags", "value": ["b"]},
    )

    result = apply_patch(make_user(), body, USERS)

    assert result[TEST_EXTENSION_URN]["tags"] == ["a"]


def test_null_value_unassigns():
    user = make_user()
    user["nickName"] = "Nick"
    body = patch_body({"op": "replace", "path": "nickName", "value": None})

    result = apply_patch(user, body, USERS)

    assert "nickName" not in result


def test_remove_absent_attribute():
    user = make_user()
    body = patch_body({"op": "remove", "path": "nickName"})

    result = apply_patch(user, body, USERS)

    assert result == user


def test_remove_sub_attribute():
    body = patch_body({"op": "remove", "path": "name.givenName"})

    result = apply_patch(make_user(), body, USERS)

    assert result["name"] == {"familyName": "Family"}


def test_remove_last_sub_attribute():
    user = make_user()
    user["name"] = {"givenName": "Given"}
    body = patch_body({"op": "remove", "path": "name.givenName"})

    result = apply_patch(user, body, USERS)

    assert "name" not in result


def test_primary_demotes_others():
    user = make_user()
    user["emails"] = [{"type": "home", "value": "h@x.org", "primary": True}]
    body = patch_body(
        {
            "op": "add",
            "path": "emails",
            "value": [{"type": "work", "value": "w@x", "primary": True}],
        }
    )

    result = apply_patch(user, body, USERS)

    assert result["emails"][0]["primary"] is False
    assert result["emails"][1]["primary"] is True


def test_unchanged_result_equals_input():
    user = make_user()
    body = patch_body({"op": "replace", "path": "active", "value": "True"})

    result = apply_patch(user, body, USERS)

    assert result == user
