"""Entry point ``group_rules``: the permission it adds, and the start-up that reads the rules."""

from __future__ import annotations

import logging
from typing import Any

from access_platform.hookspecs import hookimpl
from access_platform.rbac.permissions import Permission, collect_permissions
from access_platform_group_rules.guardrail import GroupRulesGuardrail
from access_platform_group_rules.rules import MANAGE_PROTECTED, PLUGIN_NAME, parse_rules

log = logging.getLogger(__name__)

# The name the per-app guardrail is registered under in the plugin manager.
GUARDRAIL_NAME = f"{PLUGIN_NAME}.guardrail"


@hookimpl
def access_platform_permissions() -> list[Permission]:
    return [
        Permission(
            MANAGE_PROTECTED,
            "Change members and owners of groups that a group_rules rule protects "
            "(groups.write is needed as well).",
        )
    ]


@hookimpl
def access_platform_configure(config: Any, plugin_settings: dict[str, Any]) -> None:
    """Parse the rules and register this app's guardrail.

    :raises ConfigurationError: naming the setting, when a rule or the
        permission setting is invalid.
    """
    manager = config.registry.plugin_manager
    # The app factory collects the catalogue only after every plugin is
    # configured, so the rules collect it here to check the permissions they name.
    catalogue = collect_permissions(manager)
    rules = parse_rules(plugin_settings, known_permissions=catalogue)

    if not rules:
        log.warning("group_rules is enabled but has no rules, so it protects no group")
    for rule in rules:
        log.info(
            "group rule %s protects groups where %s, except from principals holding %s",
            rule.name,
            rule.describe(),
            rule.permission,
        )
    manager.register(GroupRulesGuardrail(rules), name=GUARDRAIL_NAME)
