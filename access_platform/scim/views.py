"""Views for the SCIM discovery endpoints (RFC 7644 section 4)."""

from __future__ import annotations

from typing import Any

from pyramid.view import view_config

from access_platform.rbac.permissions import SCIM_READ
from access_platform.scim.registry import core_schema_for, extensions_for
from access_platform.scim.resources import (
    ResourceTypeEntry,
    ResourceTypes,
    SchemaEntry,
    Schemas,
    ServiceProviderConfig,
)

LIST_RESPONSE_URN = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
SERVICE_PROVIDER_CONFIG_URN = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
RESOURCE_TYPE_URN = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"

RESOURCE_TYPE_ENDPOINTS = {"User": "/Users", "Group": "/Groups"}


def list_response(resources: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "schemas": [LIST_RESPONSE_URN],
        "totalResults": len(resources),
        "startIndex": 1,
        "itemsPerPage": len(resources),
        "Resources": resources,
    }


@view_config(
    context=ServiceProviderConfig, request_method="GET", permission=SCIM_READ, renderer="scim"
)
def service_provider_config(context: ServiceProviderConfig, request: Any) -> dict[str, Any]:
    """Describe what this service provider supports (RFC 7643 section 5)."""
    return {
        "schemas": [SERVICE_PROVIDER_CONFIG_URN],
        "patch": {"supported": True},
        "bulk": {"supported": False, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {
            "supported": True,
            "maxResults": request.registry.settings["access_platform.scim.max_count"],
        },
        "changePassword": {"supported": True},
        "sort": {"supported": True},
        "etag": {"supported": True},
        "authenticationSchemes": [
            {
                "type": "oauthbearertoken",
                "name": "SCIM bearer token",
                "description": (
                    "A token issued by an administrator under /api/v1/admin/scim/tokens, "
                    "sent as Authorization: Bearer <token>."
                ),
                "primary": True,
            }
        ],
        "meta": {
            "resourceType": "ServiceProviderConfig",
            "location": request.scim_base_url + "/ServiceProviderConfig",
        },
    }


@view_config(context=Schemas, request_method="GET", permission=SCIM_READ, renderer="scim")
def list_schemas(context: Schemas, request: Any) -> dict[str, Any]:
    base_url = request.scim_base_url
    schemas = request.registry.scim_schemas.values()
    return list_response([schema.to_representation(base_url) for schema in schemas])


@view_config(context=SchemaEntry, request_method="GET", permission=SCIM_READ, renderer="scim")
def get_schema(context: SchemaEntry, request: Any) -> dict[str, Any]:
    return context.schema.to_representation(request.scim_base_url)


def resource_type_json(request: Any, name: str) -> dict[str, Any]:
    schemas = request.registry.scim_schemas
    base_url = request.scim_base_url
    return {
        "schemas": [RESOURCE_TYPE_URN],
        "id": name,
        "name": name,
        "endpoint": RESOURCE_TYPE_ENDPOINTS[name],
        "schema": core_schema_for(schemas, name).id,
        "schemaExtensions": [
            {"schema": extension.id, "required": extension.required}
            for extension in extensions_for(schemas, name)
        ],
        "meta": {"resourceType": "ResourceType", "location": f"{base_url}/ResourceTypes/{name}"},
    }


@view_config(context=ResourceTypes, request_method="GET", permission=SCIM_READ, renderer="scim")
def list_resource_types(context: ResourceTypes, request: Any) -> dict[str, Any]:
    return list_response([resource_type_json(request, name) for name in RESOURCE_TYPE_ENDPOINTS])


@view_config(context=ResourceTypeEntry, request_method="GET", permission=SCIM_READ, renderer="scim")
def get_resource_type(context: ResourceTypeEntry, request: Any) -> dict[str, Any]:
    return resource_type_json(request, context.__name__)
