"""Schema files and settings that stop start-up, and the messages that name the problem."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from access_platform_scim_extensions.schema_file import SchemaFileError, load_schema_file
from pyramid.exceptions import ConfigurationError
from scim_extensions_helpers import ACME_GROUP, ACME_USER, EXAMPLE_FILE, INI_FILE

URN = "urn:example:params:scim:schemas:extension:test:2.0:User"


def schema_with(*attributes: dict, **members) -> dict:
    return {"id": URN, "name": "Test", "attributes": list(attributes), **members}


def write(directory: Path, document, name: str = "schema.json") -> Path:
    path = directory / name
    path.write_text(document if isinstance(document, str) else json.dumps(document))
    return path


def test_example_file_loads():
    schemas = load_schema_file(EXAMPLE_FILE)

    assert [schema.id for schema in schemas] == [ACME_USER, ACME_GROUP]
    assert schemas[0].attributes[-1].sub_attributes[0].required is True


def test_single_schema_object_loads(tmp_path):
    path = write(tmp_path, schema_with({"name": "badge", "type": "string"}))

    (schema,) = load_schema_file(path)

    assert schema.attributes[0].mutability == "readWrite"
    assert schema.attributes[0].returned == "default"
    assert schema.description == ""


@pytest.mark.parametrize(
    ("attribute", "where", "problem"),
    [
        ({"name": "badge", "type": "text"}, "attribute badge", "use one of string, boolean"),
        ({"name": "badge"}, "attribute badge", '"type" is missing'),
        (
            {"name": "badge", "type": "string", "subAttributes": [{"name": "a", "type": "string"}]},
            "attribute badge",
            "only complex attributes have sub-attributes",
        ),
        (
            {"name": "badge", "type": "complex"},
            "attribute badge",
            "non-empty list of subAttributes",
        ),
        (
            {
                "name": "badge",
                "type": "complex",
                "subAttributes": [
                    {"name": "inner", "type": "complex", "subAttributes": [{"name": "x"}]}
                ],
            },
            "attribute badge.inner",
            "cannot be complex",
        ),
        (
            {
                "name": "badge",
                "type": "complex",
                "subAttributes": [
                    {"name": "value", "type": "string"},
                    {"name": "Value", "type": "string"},
                ],
            },
            "attribute badge.Value",
            "repeats 'value'",
        ),
        ({"name": "2fa", "type": "string"}, "attribute 2fa", "must start with a letter"),
        ({"name": "badge id", "type": "string"}, "attribute badge id", "must start with a letter"),
        ({"name": "$ref", "type": "reference"}, "attribute $ref", "must start with a letter"),
        ({"name": "schemas", "type": "string"}, "attribute schemas", "reserved"),
        (
            {"name": "badge", "type": "string", "multivalued": True},
            "attribute badge",
            "'multiValued'",
        ),
        ({"name": "badge", "type": "string", "colour": "red"}, "attribute badge", "'colour'"),
        (
            {"name": "badge", "type": "string", "required": "yes"},
            "attribute badge",
            "true or false",
        ),
        ({"name": "badge", "type": "integer", "caseExact": True}, "attribute badge", "caseExact"),
        (
            {"name": "badge", "type": "string", "mutability": "readOnly"},
            "attribute badge",
            "readOnly",
        ),
        (
            {"name": "badge", "type": "string", "mutability": "writeOnly"},
            "attribute badge",
            "writeOnly",
        ),
        (
            {"name": "badge", "type": "string", "mutability": "sometimes"},
            "attribute badge",
            "RFC 7643",
        ),
        ({"name": "badge", "type": "string", "returned": "never"}, "attribute badge", "never"),
        ({"name": "badge", "type": "string", "returned": "always"}, "attribute badge", "always"),
        ({"name": "badge", "type": "string", "uniqueness": "server"}, "attribute badge", "unique"),
        ({"name": "badge", "type": "reference"}, "attribute badge", "referenceTypes"),
        (
            {"name": "badge", "type": "string", "referenceTypes": ["external"]},
            "attribute badge",
            "only reference attributes",
        ),
        (
            {"name": "badge", "type": "integer", "canonicalValues": ["1"]},
            "attribute badge",
            "canonicalValues",
        ),
        (
            {"name": "badge", "type": "string", "canonicalValues": ["a", "A"]},
            "attribute badge",
            "twice",
        ),
        (
            {
                "name": "badge",
                "type": "complex",
                "subAttributes": [{"name": "$ref", "type": "string"}],
            },
            "attribute badge.$ref",
            "type reference",
        ),
    ],
)
def test_invalid_attribute_named_in_message(tmp_path, attribute, where, problem):
    path = write(tmp_path, schema_with({"name": "ok", "type": "string"}, attribute))

    with pytest.raises(SchemaFileError) as raised:
        load_schema_file(path)

    message = str(raised.value)
    assert str(path) in message
    assert f"schema {URN}" in message
    assert where in message
    assert problem in message


def test_duplicate_attribute_names_ignore_case(tmp_path):
    path = write(
        tmp_path,
        schema_with({"name": "badgeId", "type": "string"}, {"name": "BadgeID", "type": "integer"}),
    )

    with pytest.raises(SchemaFileError, match=r"attribute BadgeID: the name repeats 'badgeId'"):
        load_schema_file(path)


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        ("{not json", "not valid JSON"),
        ('{"id": "a", "id": "b"}', "appears twice"),
        ([], "the list is empty"),
        (["urn:x"], "entry 1 is"),
        ({"name": "Test", "attributes": []}, "entry 1 has the id missing or null"),
        (schema_with({"name": "a"}, id="example:acme:User"), "not a schema URN"),
        (schema_with({"name": "a"}, id="urn:acme"), "not a schema URN"),
        (schema_with({"name": "a"}, id="urn:acme:ext:User/v2"), "not a schema URN"),
        (schema_with({"name": "a", "type": "string"}, name=""), '"name" is missing'),
        (schema_with(), '"attributes" must be a non-empty list'),
        (schema_with({"name": "a", "type": "string"}, schemas=["urn:x"]), '"schemas" must be'),
        (schema_with({"name": "a", "type": "string"}, Attributes=[]), "write 'attributes'"),
        (
            [schema_with({"name": "a", "type": "string"})] * 2,
            f"schema {URN} is declared twice",
        ),
    ],
)
def test_invalid_file_named_in_message(tmp_path, document, problem):
    path = write(tmp_path, document)

    with pytest.raises(SchemaFileError) as raised:
        load_schema_file(path)

    assert str(path) in str(raised.value)
    assert problem in str(raised.value)


def test_unreadable_file_named_in_message(tmp_path):
    path = tmp_path / "missing.json"

    with pytest.raises(SchemaFileError, match="missing.json: the file cannot be read"):
        load_schema_file(path)


# --- Start-up ------------------------------------------------------------------------------


def start(platform, **settings: str):
    return platform(
        ini_file=INI_FILE,
        settings={
            f"access_platform.scim_extensions.{key}": value for key, value in settings.items()
        },
    )


def test_invalid_file_stops_start_up(platform, tmp_path):
    path = write(tmp_path, schema_with({"name": "level", "type": "number"}))

    with pytest.raises(ConfigurationError) as raised:
        start(platform, files=str(path), user_extensions=URN, group_extensions="")

    message = str(raised.value)
    assert str(path) in message
    assert "attribute level" in message
    assert "use one of string" in message


@pytest.mark.parametrize(
    ("settings", "problem"),
    [
        ({"file": "x.json"}, "unknown setting access_platform.scim_extensions.file"),
        ({"files": ""}, "access_platform.scim_extensions.files is missing"),
        ({"files": "acme.json"}, "relative path 'acme.json'"),
        ({"user_extensions": ""}, f"{ACME_USER} in {EXAMPLE_FILE} extends no resource type"),
        ({"group_extensions": f"{ACME_GROUP} {ACME_USER}"}, "listed in both"),
        (
            {"user_extensions": f"{ACME_USER} urn:example:other:User"},
            "user_extensions names urn:example:other:User, which no file",
        ),
        ({"user_extensions": f"{ACME_USER} {ACME_USER.upper()}"}, "lists"),
        ({"required_extensions": "urn:example:other:User"}, "required_extensions names"),
    ],
)
def test_invalid_settings_stop_start_up(platform, settings, problem):
    with pytest.raises(ConfigurationError) as raised:
        start(platform, **settings)

    assert problem in str(raised.value)


def test_schema_in_two_files_stops_start_up(platform, tmp_path):
    copy = write(tmp_path, EXAMPLE_FILE.read_text(), "copy.json")

    with pytest.raises(ConfigurationError) as raised:
        start(platform, files=f"{EXAMPLE_FILE} {copy}")

    assert f"declared in {EXAMPLE_FILE} and again in {copy}" in str(raised.value)


@pytest.mark.parametrize(
    ("urn", "problem"),
    [
        ("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", "URN of a core schema"),
        ("urn:ietf:params:scim:schemas:core:2.0:User:acme", "starts with the URN"),
        (f"{ACME_USER}:v2", "starts with the URN"),
    ],
)
def test_conflicting_urn_stops_start_up(platform, tmp_path, urn, problem):
    path = write(tmp_path, schema_with({"name": "level", "type": "integer"}, id=urn))

    with pytest.raises(ConfigurationError) as raised:
        start(
            platform,
            files=f"{EXAMPLE_FILE} {path}",
            user_extensions=f"{ACME_USER} {urn}",
        )

    assert problem in str(raised.value)
    assert str(path) in str(raised.value)
