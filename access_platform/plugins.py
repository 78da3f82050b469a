"""The plugin manager: built-in plugins, installed plugins, and which are enabled.

Installed plugins are found through the ``access_platform.plugins`` entry
point group, but only those named in the ``access_platform.plugins`` setting
are enabled. Built-in behaviour (the three auth methods, the guardrails and
the core SCIM schemas, the core permissions, the logging invitation
delivery and the audit event log) is registered through the same hooks. The manager
lives on the registry as ``registry.plugin_manager``.
"""

from __future__ import annotations

import inspect
import logging
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from typing import Any

import pluggy
from pyramid.exceptions import ConfigurationError

from access_platform import hookspecs
from access_platform.settings import core_setting_groups, plugin_settings

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "access_platform.plugins"


@dataclass(frozen=True)
class InstalledPlugin:
    """An entry point in the plugin group, as listed by ``access-platform plugins``."""

    name: str
    value: str
    distribution: str | None


def builtin_plugins() -> list[tuple[str, object]]:
    """Return the built-in plugins as (name, plugin) pairs, in registration order.

    The auth methods are registered so that pluggy asks them in this order:
    SCIM token, API key, browser session. Each accepts only its own surface
    or header, so the order matters only for plugins that add methods.
    """
    from access_platform.audit.delivery import LoggedAuditEvents
    from access_platform.auth.methods import ApiKeyMethod, SessionCookieMethod
    from access_platform.guardrails import BuiltinGuardrails
    from access_platform.invitations.delivery import LoggedInvitationDelivery
    from access_platform.rbac.permissions import CorePermissions
    from access_platform.scim.core_schemas import CoreScimSchemas
    from access_platform.scim.token_method import ScimTokenMethod

    # pluggy calls the most recently registered implementation first.
    return [
        ("builtin-session", SessionCookieMethod()),
        ("builtin-api-key", ApiKeyMethod()),
        ("builtin-scim-token", ScimTokenMethod()),
        ("builtin-guardrails", BuiltinGuardrails()),
        ("builtin-scim-schemas", CoreScimSchemas()),
        ("builtin-permissions", CorePermissions()),
        ("builtin-invitation-log", LoggedInvitationDelivery()),
        ("builtin-audit-log", LoggedAuditEvents()),
    ]


def installed_plugins() -> dict[str, EntryPoint]:
    """Return the entry points in the plugin group, by name."""
    return {entry_point.name: entry_point for entry_point in entry_points(group=ENTRY_POINT_GROUP)}


def describe_installed() -> list[InstalledPlugin]:
    """Return every installed plugin, sorted by name."""
    described = []
    for name, entry_point in sorted(installed_plugins().items()):
        distribution = entry_point.dist.name if entry_point.dist else None
        described.append(InstalledPlugin(name, entry_point.value, distribution))
    return described


def create_plugin_manager(enabled_names: tuple[str, ...]) -> pluggy.PluginManager:
    """Build the plugin manager with the built-ins and the enabled installed plugins.

    :raises ConfigurationError: when an enabled name is not installed, cannot
        be imported, or implements a hook that does not exist.
    """
    manager = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    manager.add_hookspecs(hookspecs)

    for name, plugin in builtin_plugins():
        manager.register(plugin, name=name)

    available = installed_plugins()
    reserved = core_setting_groups()
    for name in enabled_names:
        if name in reserved:
            raise ConfigurationError(
                f"access_platform.plugins names {name!r}, which is also a group of core "
                f"settings (access_platform.{name}.*); rename the plugin's entry point"
            )
        entry_point = available.get(name)
        if entry_point is None:
            known = ", ".join(sorted(available)) or "none"
            raise ConfigurationError(
                f"access_platform.plugins names {name!r}, which is not installed "
                f"(installed plugins: {known})"
            )
        try:
            plugin = entry_point.load()
        except Exception as error:
            raise ConfigurationError(
                f"access_platform.plugins: plugin {name!r} ({entry_point.value}) "
                f"failed to load: {error!r}"
            ) from error
        if inspect.isclass(plugin):
            raise ConfigurationError(
                f"plugin {name!r} ({entry_point.value}) is a class; point the entry point "
                "at a module or at an instance of the class"
            )
        try:
            manager.register(plugin, name=name)
        except (ValueError, pluggy.PluginValidationError) as error:
            raise ConfigurationError(f"plugin {name!r} could not be registered: {error}") from error

    try:
        manager.check_pending()
    except pluggy.PluginValidationError as error:
        raise ConfigurationError(f"plugin {error.plugin!r} is invalid: {error}") from error

    return manager


def call_each(hook: Any, description: str, logger: logging.Logger, **arguments: Any) -> None:
    """Call every implementation of a notification hook, so that one failing skips no other.

    pluggy stops at the first exception; hooks that report something that
    has already happened, such as a committed change, must reach every
    plugin. Each failure is logged on ``logger`` with ``description`` and
    the plugin's name.
    """
    # pluggy calls the last implementation in this list first.
    for implementation in reversed(hook.get_hookimpls()):
        try:
            implementation.function(
                **{name: arguments[name] for name in implementation.argnames if name in arguments}
            )
        except Exception:
            logger.exception("%s failed in plugin %s", description, implementation.plugin_name)


def enabled_plugin_names(manager: pluggy.PluginManager) -> list[str]:
    """Return the names of every registered plugin, built-ins included."""
    return [name for name, _plugin in manager.list_name_plugin()]


def includeme(config: Any) -> None:
    """Create the plugin manager and configure every plugin.

    Included by the app factory after the core is committed, so that a
    plugin's ``access_platform_configure`` may add views that override the
    core's.
    """
    settings = config.get_settings()
    manager = create_plugin_manager(settings["access_platform.plugins"])
    config.registry.plugin_manager = manager

    # Each plugin gets only its own settings, so the hook is called one
    # implementation at a time rather than through the relay.
    for implementation in manager.hook.access_platform_configure.get_hookimpls():
        arguments = {
            "config": config,
            "plugin_settings": plugin_settings(settings, implementation.plugin_name),
        }
        implementation.function(
            **{name: arguments[name] for name in implementation.argnames if name in arguments}
        )

    log.info("enabled plugins: %s", ", ".join(enabled_plugin_names(manager)))
