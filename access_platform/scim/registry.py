"""The SCIM schemas in force: collected from every plugin once at start-up."""

from __future__ import annotations

from typing import Any

from pyramid.exceptions import ConfigurationError

from access_platform.scim.schema import ScimSchema


def collect_schemas(plugin_manager: Any) -> dict[str, ScimSchema]:
    """Return every schema the plugins define, by URN.

    :raises ConfigurationError: when two plugins define the same URN.
    """
    schemas: dict[str, ScimSchema] = {}
    for contributed in plugin_manager.hook.access_platform_scim_schemas():
        for schema in contributed:
            if schema.id in schemas:
                raise ConfigurationError(
                    f"SCIM schema {schema.id} is defined by more than one plugin"
                )
            schemas[schema.id] = schema
    return schemas


def core_schema_for(schemas: dict[str, ScimSchema], resource_type: str) -> ScimSchema:
    for schema in schemas.values():
        if schema.resource_type == resource_type and not schema.extension:
            return schema
    raise ConfigurationError(f"no plugin defines the core SCIM schema for {resource_type}")


def extensions_for(schemas: dict[str, ScimSchema], resource_type: str) -> list[ScimSchema]:
    return [
        schema
        for schema in schemas.values()
        if schema.resource_type == resource_type and schema.extension
    ]
