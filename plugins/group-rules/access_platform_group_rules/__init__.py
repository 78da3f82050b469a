"""access-platform plugin that protects groups matched by ini-configured rules.

The entry point ``group_rules`` loads :mod:`access_platform_group_rules.plugin`;
:mod:`access_platform_group_rules.rules` contains the rule syntax and
:mod:`access_platform_group_rules.guardrail` the veto.
"""
