"""The plugin object: reads the schema files at start-up and contributes their schemas.

The entry point ``scim_extensions`` loads :data:`plugin`, which keeps no
state. Its ``access_platform_configure`` reads the files named in this
app's settings and registers an :class:`ExtensionSchemas` holding the
result on this app's plugin manager, so two apps in one process (as in
tests) each get their own schemas. The core collects SCIM schemas after it
has configured every plugin, so it calls the registered object's hook.
"""

from __future__ import annotations

import logging
from typing import Any

from pyramid.exceptions import ConfigurationError

from access_platform.hookspecs import hookimpl
from access_platform.scim.core_schemas import (
    ENTERPRISE_USER_SCHEMA_URN,
    GROUP_SCHEMA_URN,
    USER_SCHEMA_URN,
)
from access_platform.scim.schema import ScimSchema
from access_platform_scim_extensions.schema_file import DeclaredSchema, load_schema_file
from access_platform_scim_extensions.settings import PREFIX, ExtensionSettings, parse_settings

log = logging.getLogger(__name__)

# The name under which each app's ExtensionSchemas is registered.
SCHEMAS_PLUGIN_NAME = "scim_extensions.schemas"
CORE_URNS = (USER_SCHEMA_URN, GROUP_SCHEMA_URN, ENTERPRISE_USER_SCHEMA_URN)


class ExtensionSchemas:
    """The schemas declared for one app, contributed through the SCIM schema hook."""

    def __init__(self, schemas: tuple[ScimSchema, ...]) -> None:
        self.schemas = schemas

    @hookimpl
    def access_platform_scim_schemas(self) -> list[ScimSchema]:
        return list(self.schemas)


class ScimExtensionsPlugin:
    """Entry point ``scim_extensions``: SCIM schema extensions declared in JSON files."""

    @hookimpl
    def access_platform_configure(self, config: Any, plugin_settings: dict[str, Any]) -> None:
        settings = parse_settings(plugin_settings)
        declared = [schema for path in settings.files for schema in load_schema_file(path)]
        schemas = bind_schemas(declared, settings)
        config.registry.plugin_manager.register(ExtensionSchemas(schemas), name=SCHEMAS_PLUGIN_NAME)
        log.info(
            "SCIM schema extensions from %s: %s",
            ", ".join(str(path) for path in settings.files),
            ", ".join(f"{schema.id} ({schema.resource_type})" for schema in schemas),
        )


def bind_schemas(
    declared: list[DeclaredSchema], settings: ExtensionSettings
) -> tuple[ScimSchema, ...]:
    """Turn the declared schemas into extensions of User or Group, as the settings bind them.

    :raises ConfigurationError: when a URN is declared twice, takes a core
        schema's URN, starts with another schema's URN, is declared but not
        bound, or is bound or required but not declared.
    """
    by_urn: dict[str, DeclaredSchema] = {}
    for schema in declared:
        folded = schema.id.casefold()
        if folded in by_urn:
            raise ConfigurationError(
                f"SCIM schema {schema.id} is declared in {by_urn[folded].path} "
                f"and again in {schema.path}; declare each schema once"
            )
        by_urn[folded] = schema
    _check_urns(declared)

    resource_types = _resource_types(settings, by_urn)
    required = {urn.casefold() for urn in settings.required_extensions}
    for urn in settings.required_extensions:
        if urn.casefold() not in by_urn:
            raise ConfigurationError(
                f"{PREFIX}required_extensions names {urn}, which no file in {PREFIX}files declares"
            )

    extensions = []
    for schema in declared:
        folded = schema.id.casefold()
        if folded not in resource_types:
            raise ConfigurationError(
                f"SCIM schema {schema.id} in {schema.path} extends no resource type; "
                f"list its URN in {PREFIX}user_extensions or {PREFIX}group_extensions"
            )
        extensions.append(
            ScimSchema(
                id=schema.id,
                name=schema.name,
                description=schema.description,
                resource_type=resource_types[folded],
                attributes=schema.attributes,
                extension=True,
                required=folded in required,
            )
        )
    return tuple(extensions)


def _check_urns(declared: list[DeclaredSchema]) -> None:
    """Reject a URN that is a core schema's, or that starts with another URN and a colon.

    A URN that continues another one makes ``<urn>:<attribute>`` paths
    ambiguous, as ``urn:a:b:c`` is also attribute ``c`` of ``urn:a:b``.
    """
    known = [*CORE_URNS, *(schema.id for schema in declared)]
    for schema in declared:
        folded = schema.id.casefold()
        for urn in CORE_URNS:
            if folded == urn.casefold():
                raise ConfigurationError(
                    f"SCIM schema {schema.id} in {schema.path} has the URN of a core schema; "
                    "give the extension a URN of its own"
                )
        for other in known:
            if folded.startswith(other.casefold() + ":"):
                raise ConfigurationError(
                    f"SCIM schema {schema.id} in {schema.path} starts with the URN {other}, so "
                    f"paths such as {schema.id}:name would be ambiguous; choose a URN that "
                    "does not continue another one"
                )


def _resource_types(
    settings: ExtensionSettings, by_urn: dict[str, DeclaredSchema]
) -> dict[str, str]:
    """Return the resource type (User or Group) that each bound URN extends, by folded URN."""
    resource_types: dict[str, str] = {}
    for key, resource_type in (("user_extensions", "User"), ("group_extensions", "Group")):
        for urn in getattr(settings, key):
            folded = urn.casefold()
            if folded not in by_urn:
                raise ConfigurationError(
                    f"{PREFIX}{key} names {urn}, which no file in {PREFIX}files declares"
                )
            if folded in resource_types:
                raise ConfigurationError(
                    f"{urn} is listed in both {PREFIX}user_extensions and "
                    f"{PREFIX}group_extensions; an extension extends one resource type"
                )
            resource_types[folded] = resource_type
    return resource_types


plugin = ScimExtensionsPlugin()
