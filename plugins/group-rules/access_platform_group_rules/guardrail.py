"""The veto that keeps groups matched by a rule read-only through ``/api/v1``."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from access_platform.guardrails import GroupChange
from access_platform.hookspecs import hookimpl
from access_platform_group_rules.rules import GroupRule

log = logging.getLogger(__name__)


def holds_tenant_permission(request: Any, permission: str) -> bool:
    """Return whether the request's principal holds ``permission`` tenant-wide.

    Grants inside a workspace do not count, because groups are tenant-wide.
    Callers that are not users hold nothing, and so does a missing request
    (``None``, as command-line tools pass).
    """
    if request is None:
        return False
    effective = request.effective_permissions
    return effective is not None and effective.allows(permission, None)


class GroupRulesGuardrail:
    """Guardrail plugin with one app's rules, registered by ``access_platform_configure``.

    Each app registers its own instance on its own plugin manager, so two
    apps in one process (as in tests) never share rules, and the veto needs
    no request to find them.

    NOTE: the core calls this hook for member and owner changes only. A
    caller with groups.write can rename a group or change its external_id
    so that a display-name or prefix rule no longer matches it.
    """

    def __init__(self, rules: Sequence[GroupRule]) -> None:
        self.rules = tuple(rules)

    @hookimpl
    def access_platform_group_change_veto(self, request: Any, change: GroupChange) -> str | None:
        """Return the reason of the first matching rule whose permission the caller lacks.

        Rules are tried in name order. A change to a group that several
        rules match needs the permission of each of them.
        """
        for rule in self.rules:
            if not rule.matches(change.group):
                continue
            if not holds_tenant_permission(request, rule.permission):
                return rule.reason
            log.info(
                "group rule %s allowed %s %s on group %s for %s, who holds %s (request id %s)",
                rule.name,
                change.action,
                change.relation,
                change.group.id,
                request.authenticated_userid,
                rule.permission,
                request.request_id,
            )
        return None
