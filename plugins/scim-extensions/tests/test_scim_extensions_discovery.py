"""The declared extensions in the discovery endpoints, and the server without the plugin."""

from __future__ import annotations

import json
from urllib.parse import quote

from scim_extensions_helpers import (
    ACME_GROUP,
    ACME_USER,
    EXAMPLE_FILE,
    INI_FILE,
    USER_URN,
    ScimClient,
    assert_scim_error,
)


def test_schemas_list_the_extensions(scim):
    listed = {schema["id"]: schema for schema in scim.get("/Schemas").json["Resources"]}

    assert ACME_USER in listed
    assert ACME_GROUP in listed
    assert listed[ACME_USER]["name"] == "AcmeUser"


def test_schema_matches_the_file(scim):
    declared = json.loads(EXAMPLE_FILE.read_text())[0]

    served = scim.get(f"/Schemas/{quote(ACME_USER)}").json

    assert served["id"] == declared["id"]
    assert served["description"] == declared["description"]
    assert [attribute["name"] for attribute in served["attributes"]] == [
        attribute["name"] for attribute in declared["attributes"]
    ]
    certifications = served["attributes"][-1]
    assert certifications["type"] == "complex"
    assert certifications["multiValued"] is True
    assert [sub["name"] for sub in certifications["subAttributes"]] == [
        "value",
        "type",
        "issued",
        "level",
    ]
    assert certifications["subAttributes"][0]["required"] is True
    assert certifications["subAttributes"][1]["canonicalValues"] == [
        "security",
        "safety",
        "language",
    ]
    badge = served["attributes"][0]
    assert badge["caseExact"] is True
    hire_date = served["attributes"][4]
    assert hire_date["mutability"] == "immutable"
    assert hire_date["type"] == "dateTime"
    profile = served["attributes"][5]
    assert profile["referenceTypes"] == ["external"]


def test_resource_types_list_the_extensions(scim):
    user_type = scim.get("/ResourceTypes/User").json
    group_type = scim.get("/ResourceTypes/Group").json

    assert {"schema": ACME_USER, "required": False} in user_type["schemaExtensions"]
    assert {"schema": ACME_GROUP, "required": False} in group_type["schemaExtensions"]
    assert ACME_GROUP not in {item["schema"] for item in user_type["schemaExtensions"]}


def test_required_extension_is_marked(platform):
    running = platform(
        ini_file=INI_FILE,
        settings={"access_platform.scim_extensions.required_extensions": ACME_USER},
    )
    client = ScimClient(running.testapp, running.scim_headers())

    user_type = client.get("/ResourceTypes/User").json

    assert {"schema": ACME_USER, "required": True} in user_type["schemaExtensions"]


def test_extension_unknown_without_plugin(platform):
    running = platform()
    client = ScimClient(running.testapp, running.scim_headers())

    schemas = {schema["id"] for schema in client.get("/Schemas").json["Resources"]}
    created = client.post(
        "/Users",
        {
            "schemas": [USER_URN, ACME_USER],
            "userName": "x@example.com",
            ACME_USER: {"remote": True},
        },
        status=400,
    )
    filtered = client.get("/Users", filter=f"{ACME_USER}:remote eq true", status=400)
    client.get(f"/Schemas/{quote(ACME_USER)}", status=404)

    assert ACME_USER not in schemas
    assert "acme" in assert_scim_error(created, 400, "invalidPath")
    assert_scim_error(filtered, 400, "invalidFilter")
