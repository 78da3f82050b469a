"""SCIM bearer-token authentication on /scim/v2, over HTTP."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from access_platform.db import session_scope, utcnow
from access_platform.scim.models import ScimToken

CONFIG = "/scim/v2/ServiceProviderConfig"
SCIM = "application/scim+json"
ERROR_URN = "urn:ietf:params:scim:api:messages:2.0:Error"


def assert_scim_401(response) -> None:
    assert response.status_int == 401
    assert response.content_type == SCIM
    assert response.json["schemas"] == [ERROR_URN]
    assert response.json["status"] == "401"
    assert response.headers["WWW-Authenticate"].startswith('Bearer realm="scim"')


def test_valid_token_is_accepted(testapp, scim_headers):
    response = testapp.get(CONFIG, headers=scim_headers, status=200)

    assert response.content_type == SCIM
    schemes = response.json["authenticationSchemes"]
    assert [scheme["type"] for scheme in schemes] == ["oauthbearertoken"]


def test_bearer_scheme_is_case_insensitive(testapp, factory):
    token = factory.scim_token()
    testapp.get(CONFIG, headers={"Authorization": f"bearer {token}"}, status=200)


def test_missing_token_gets_401(testapp):
    assert_scim_401(testapp.get(CONFIG, status=401))


def test_unknown_token_gets_401_with_invalid_token_error(testapp, factory):
    token = factory.scim_token()

    response = testapp.get(CONFIG, headers={"Authorization": f"Bearer {token}x"}, status=401)

    assert_scim_401(response)
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_revoked_token_gets_401(testapp, factory):
    token = factory.scim_token(revoked=True)
    assert_scim_401(testapp.get(CONFIG, headers={"Authorization": f"Bearer {token}"}, status=401))


def test_expired_token_gets_401(testapp, factory):
    token = factory.scim_token(expires_at=utcnow() - timedelta(seconds=1))
    assert_scim_401(testapp.get(CONFIG, headers={"Authorization": f"Bearer {token}"}, status=401))


def test_api_key_is_rejected_on_scim(testapp, admin):
    assert_scim_401(testapp.get(CONFIG, headers=admin.headers, status=401))


def test_api_key_as_bearer_is_rejected_on_scim(testapp, admin):
    headers = {"Authorization": f"Bearer {admin.api_key}"}
    assert_scim_401(testapp.get(CONFIG, headers=headers, status=401))


def test_token_use_is_recorded(testapp, factory, registry):
    token = factory.scim_token()
    prefix = token.split("_")[1]

    testapp.get(CONFIG, headers={"Authorization": f"Bearer {token}"}, status=200)

    with session_scope(registry.db_session_factory) as dbsession:
        stored = dbsession.scalars(select(ScimToken).where(ScimToken.prefix == prefix)).one()
        assert stored.last_used_at is not None


def test_schemas_lists_core_and_enterprise_schemas(testapp, scim_headers):
    response = testapp.get("/scim/v2/Schemas", headers=scim_headers, status=200)

    ids = {schema["id"] for schema in response.json["Resources"]}
    assert ids == {
        "urn:ietf:params:scim:schemas:core:2.0:User",
        "urn:ietf:params:scim:schemas:core:2.0:Group",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
    }
    assert response.json["totalResults"] == 3


def test_schema_by_urn(testapp, scim_headers):
    urn = "urn:ietf:params:scim:schemas:core:2.0:User"

    response = testapp.get(f"/scim/v2/Schemas/{urn}", headers=scim_headers, status=200)

    names = [attribute["name"] for attribute in response.json["attributes"]]
    assert "userName" in names
    assert response.json["meta"]["location"].endswith(f"/scim/v2/Schemas/{urn}")


def test_resource_type_lists_enterprise_extension(testapp, scim_headers):
    response = testapp.get("/scim/v2/ResourceTypes/User", headers=scim_headers, status=200)

    assert response.json["endpoint"] == "/Users"
    assert response.json["schemaExtensions"] == [
        {"schema": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", "required": False}
    ]
