"""Group-source guardrails: plugins that veto membership and ownership changes.

The built-in guardrails keep groups that another system manages read-only
through ``/api/v1``: groups provisioned by an identity provider
(``source=idp``) and groups whose members a rule computes
(``membership_mode=dynamic``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from access_platform.hookspecs import hookimpl


@dataclass(frozen=True)
class GroupChange:
    """A membership or ownership change about to be made to a group.

    :ivar group: the group (anything with ``id``, ``display_name``,
        ``source``, ``membership_mode`` and ``external_id`` attributes).
    :ivar relation: ``"members"`` or ``"owners"``.
    :ivar action: ``"add"`` or ``"remove"``.
    :ivar target_id: id of the user or group being added or removed.
    """

    group: Any
    relation: Literal["members", "owners"]
    action: Literal["add", "remove"]
    target_id: str


def check_group_change(plugin_manager: Any, request: Any, change: GroupChange) -> str | None:
    """Ask every guardrail about ``change`` and return the first veto reason, if any."""
    reasons = plugin_manager.hook.access_platform_group_change_veto(request=request, change=change)
    return reasons[0] if reasons else None


class BuiltinGuardrails:
    """Built-in plugin: IdP-managed and dynamic groups are read-only here."""

    name = "builtin-guardrails"

    @hookimpl
    def access_platform_group_change_veto(self, request: Any, change: GroupChange) -> str | None:
        group = change.group
        if group.source == "idp":
            return (
                f"Group {group.id} is managed by an identity provider (source=idp); "
                f"change its {change.relation} there, not through this API."
            )
        if group.membership_mode == "dynamic":
            return (
                f"Group {group.id} has rule-computed membership (membership_mode=dynamic), "
                f"so its {change.relation} are read-only through this API."
            )
        return None
