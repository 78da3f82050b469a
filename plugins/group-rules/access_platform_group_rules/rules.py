"""Group rules: their ini syntax, how they are parsed, and how they match a group.

Each rule is one setting, ``access_platform.group_rules.rule.<name>``,
whose value contains one ``key = value`` pair per line. Condition keys select
groups, and a group matches a rule when every condition of the rule matches.
``reason`` is the text a rejected client reads, and ``permission`` names the
permission that lets a principal change the groups the rule protects.
Everything is checked at start-up, and a mistake raises
:class:`~pyramid.exceptions.ConfigurationError` naming the setting.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

from pyramid.exceptions import ConfigurationError

from access_platform.users.models import fold

PLUGIN_NAME = "group_rules"
SETTINGS_PREFIX = f"access_platform.{PLUGIN_NAME}."
RULE_PREFIX = "rule."
PERMISSION_KEY = "permission"

# The permission this plugin adds to the catalogue, and the default exemption.
MANAGE_PROTECTED = "groups.protected.manage"

CONDITION_KEYS = ("source", "display_name", "display_name_regex", "external_id_prefix")
RULE_KEYS = (*CONDITION_KEYS, "reason", PERMISSION_KEY)

# Group sources have this shape (access_platform.groups.schemas), so a
# source condition of any other shape could never match.
SOURCE_SHAPE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
RULE_NAME_SHAPE = re.compile(r"^[A-Za-z0-9_-]+$")


@dataclass(frozen=True)
class Condition:
    """One ``key = value`` line of a rule, with its compiled test."""

    key: str
    value: str
    test: Callable[[Any], bool]

    def __str__(self) -> str:
        return f"{self.key}={self.value}"


@dataclass(frozen=True)
class GroupRule:
    """A named rule: the groups it protects, why, and who may still change them.

    :ivar permission: a permission name from the catalogue, or ``*`` for
        principals whose role lists ``*`` (the tenant administrator role).
    """

    name: str
    conditions: tuple[Condition, ...]
    reason: str
    permission: str

    def matches(self, group: Any) -> bool:
        """Return whether every condition of this rule matches ``group``."""
        return all(condition.test(group) for condition in self.conditions)

    def describe(self) -> str:
        return " and ".join(str(condition) for condition in self.conditions)


def setting_name(key: str) -> str:
    return SETTINGS_PREFIX + key


def parse_rules(
    plugin_settings: Mapping[str, Any], known_permissions: Collection[str]
) -> list[GroupRule]:
    """Parse every rule in ``plugin_settings`` and return them sorted by name.

    :param plugin_settings: the settings under ``access_platform.group_rules.``,
        with that prefix removed.
    :param known_permissions: the permission names a rule may name; ``*`` is
        accepted in addition.
    :raises ConfigurationError: naming the setting, for an unknown setting,
        an empty rule, an unknown or repeated key, a rule without a condition
        or without a reason, an invalid pattern, or an unknown permission.
    """
    default_permission = str(plugin_settings.get(PERMISSION_KEY, MANAGE_PROTECTED)).strip()
    if not default_permission:
        raise ConfigurationError(
            f"{setting_name(PERMISSION_KEY)} is empty; name a permission such as "
            f"{MANAGE_PROTECTED}, or remove the setting to use that default"
        )
    _check_permission(setting_name(PERMISSION_KEY), default_permission, known_permissions)

    rules = []
    for key, value in sorted(plugin_settings.items()):
        if key == PERMISSION_KEY:
            continue
        if not key.startswith(RULE_PREFIX):
            raise ConfigurationError(
                f"unknown setting {setting_name(key)}; the group_rules settings are "
                f"{setting_name(PERMISSION_KEY)} and {setting_name(RULE_PREFIX)}<name>"
            )
        name = key[len(RULE_PREFIX) :]
        if not RULE_NAME_SHAPE.match(name):
            raise ConfigurationError(
                f"invalid rule name in {setting_name(key)}; a rule name is letters, "
                "digits, '_' and '-'"
            )
        rules.append(parse_rule(name, str(value), default_permission, known_permissions))
    return rules


def parse_rule(
    name: str, text: str, default_permission: str, known_permissions: Collection[str]
) -> GroupRule:
    """Parse the value of ``access_platform.group_rules.rule.<name>`` into a rule.

    :raises ConfigurationError: naming the setting, as :func:`parse_rules` lists.
    """
    setting = setting_name(RULE_PREFIX + name)
    fields = _key_values(setting, text)
    if not fields:
        raise ConfigurationError(
            f"rule {setting} is empty; give at least one condition "
            f"({', '.join(CONDITION_KEYS)}) and a reason, one 'key = value' per line"
        )

    conditions = tuple(
        _condition(setting, key, value) for key, value in fields.items() if key in CONDITION_KEYS
    )
    if not conditions:
        raise ConfigurationError(
            f"rule {setting} has no condition, so it would match every group; "
            f"give at least one of {', '.join(CONDITION_KEYS)}"
        )

    reason = fields.get("reason")
    if reason is None:
        raise ConfigurationError(
            f"rule {setting} has no reason; add 'reason = ...' with the sentence "
            "a rejected client reads in the 409 detail"
        )

    permission = fields.get(PERMISSION_KEY, default_permission)
    _check_permission(setting, permission, known_permissions)
    return GroupRule(name, conditions, reason, permission)


def _key_values(setting: str, text: str) -> dict[str, str]:
    """Split a rule's value into its ``key = value`` lines; blank lines are skipped."""
    fields: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        key, separator, value = line.partition("=")
        key, value = key.strip(), value.strip()
        if not separator or not key:
            raise ConfigurationError(
                f"rule {setting}: the line {line!r} is not 'key = value'; "
                "write one key = value pair per line"
            )
        if key not in RULE_KEYS:
            raise ConfigurationError(
                f"rule {setting}: unknown key {key!r}; the keys are {', '.join(RULE_KEYS)}"
            )
        if key in fields:
            raise ConfigurationError(f"rule {setting}: the key {key!r} is given twice")
        if not value:
            raise ConfigurationError(f"rule {setting}: the key {key!r} has an empty value")
        fields[key] = value
    return fields


def _condition(setting: str, key: str, value: str) -> Condition:
    if key == "source":
        if not SOURCE_SHAPE.match(value):
            raise ConfigurationError(
                f"rule {setting}: source {value!r} can never match, because group sources "
                "are 1 to 64 lowercase letters, digits, '_', '.' or '-', such as hr"
            )
        return Condition(key, value, lambda group: group.source == value)

    if key == "display_name":
        # The glob and the name are both folded, so the match ignores case the
        # same way group names are compared for uniqueness.
        glob = re.compile(fnmatch.translate(fold(value)))
        return Condition(
            key, value, lambda group: glob.fullmatch(fold(group.display_name)) is not None
        )

    if key == "display_name_regex":
        try:
            pattern = re.compile(value, re.IGNORECASE)
        except re.error as error:
            raise ConfigurationError(
                f"rule {setting}: display_name_regex {value!r} is not a valid regular "
                f"expression: {error}"
            ) from error
        return Condition(
            key, value, lambda group: pattern.fullmatch(group.display_name) is not None
        )

    # external_id_prefix: external ids are opaque, so the comparison is exact.
    return Condition(
        key,
        value,
        lambda group: group.external_id is not None and group.external_id.startswith(value),
    )


def _check_permission(setting: str, permission: str, known_permissions: Collection[str]) -> None:
    if permission == "*" or permission in known_permissions:
        return
    raise ConfigurationError(
        f"{setting} names the permission {permission!r}, which is not in the permission "
        "catalogue; use a listed permission (GET /api/v1/permissions), or * for tenant "
        "administrators only"
    )
