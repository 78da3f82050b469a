"""Parsing and matching of group_rules rules, and start-up with invalid rules."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from access_platform_group_rules.guardrail import GroupRulesGuardrail
from access_platform_group_rules.rules import MANAGE_PROTECTED, parse_rules
from pyramid.exceptions import ConfigurationError

from access_platform.guardrails import GroupChange

INI_FILE = Path(__file__).with_name("group_rules_example.ini")
KNOWN_PERMISSIONS = {"groups.write", MANAGE_PROTECTED}


def group(display_name="Team", source="local", external_id=None):
    return SimpleNamespace(
        id="g-1", display_name=display_name, source=source, external_id=external_id
    )


def only_rule(text: str, **settings: str):
    rules = parse_rules({"rule.only": text, **settings}, KNOWN_PERMISSIONS)
    assert [rule.name for rule in rules] == ["only"]
    return rules[0]


# --- Parsing ----------------------------------------------------------------------


def test_rule_fields_parsed():
    rule = only_rule("source = hr\ndisplay_name = Finance-*\nreason = Ask HR.")

    assert rule.reason == "Ask HR."
    assert rule.permission == MANAGE_PROTECTED
    assert rule.describe() == "source=hr and display_name=Finance-*"


def test_rule_on_one_line():
    rule = only_rule("source = hr\nreason = Ask HR.")

    assert rule.matches(group(source="hr"))


def test_blank_lines_skipped():
    rule = only_rule("\n\n  source = hr  \n\n  reason = Ask HR = now.  \n")

    # Only the first '=' separates the key, so a reason may contain one.
    assert rule.reason == "Ask HR = now."


def test_rules_sorted_by_name():
    settings = {
        "rule.zeta": "source = z\nreason = Z.",
        "rule.alpha": "source = a\nreason = A.",
    }

    assert [rule.name for rule in parse_rules(settings, KNOWN_PERMISSIONS)] == ["alpha", "zeta"]


def test_no_rules_parse_to_empty_list():
    assert parse_rules({}, KNOWN_PERMISSIONS) == []


def test_default_permission_setting():
    rule = only_rule("source = hr\nreason = Ask HR.", permission="groups.write")

    assert rule.permission == "groups.write"


def test_rule_permission_overrides_default():
    rule = only_rule("source = hr\npermission = *\nreason = Ask HR.", permission="groups.write")

    assert rule.permission == "*"


INVALID_RULES = [
    pytest.param("", "is empty", id="empty"),
    pytest.param("\n  \n", "is empty", id="blank-lines"),
    pytest.param("sorce = hr\nreason = x", "unknown key 'sorce'", id="unknown-key"),
    pytest.param("reason = x", "has no condition", id="no-condition"),
    pytest.param("permission = *\nreason = x", "has no condition", id="permission-only"),
    pytest.param("source = hr", "has no reason", id="no-reason"),
    pytest.param("source hr\nreason = x", "is not 'key = value'", id="no-equals"),
    pytest.param("= hr\nreason = x", "is not 'key = value'", id="no-key"),
    pytest.param("source =\nreason = x", "'source' has an empty value", id="empty-value"),
    pytest.param("source = a\nsource = b\nreason = x", "'source' is given twice", id="repeat"),
    pytest.param("source = HR\nreason = x", "can never match", id="source-shape"),
    pytest.param(
        "display_name_regex = Finance-(\nreason = x",
        "is not a valid regular expression",
        id="bad-regex",
    ),
    pytest.param(
        "source = hr\npermission = groups.nope\nreason = x",
        "'groups.nope', which is not in the permission catalogue",
        id="unknown-permission",
    ),
]


@pytest.mark.parametrize(("text", "message"), INVALID_RULES)
def test_invalid_rule_named(text, message):
    with pytest.raises(ConfigurationError) as raised:
        parse_rules({"rule.broken": text}, KNOWN_PERMISSIONS)

    assert "access_platform.group_rules.rule.broken" in str(raised.value)
    assert message in str(raised.value)


INVALID_SETTINGS = [
    pytest.param({"rules.finance": "source = hr\nreason = x"}, "unknown setting", id="typo"),
    pytest.param({"rule.": "source = hr\nreason = x"}, "invalid rule name", id="no-name"),
    pytest.param({"rule.a.b": "source = hr\nreason = x"}, "invalid rule name", id="dotted-name"),
    pytest.param({"permission": " "}, "is empty", id="empty-permission"),
    pytest.param({"permission": "groups.nope"}, "not in the permission catalogue", id="unknown"),
]


@pytest.mark.parametrize(("settings", "message"), INVALID_SETTINGS)
def test_invalid_setting_named(settings, message):
    with pytest.raises(ConfigurationError) as raised:
        parse_rules(settings, KNOWN_PERMISSIONS)

    key = next(iter(settings))
    assert f"access_platform.group_rules.{key}" in str(raised.value)
    assert message in str(raised.value)


# --- Matching ---------------------------------------------------------------------


def test_source_matches_exactly():
    rule = only_rule("source = hr\nreason = x")

    assert rule.matches(group(source="hr"))
    assert not rule.matches(group(source="hr2"))
    assert not rule.matches(group(source="local"))


def test_glob_matches_whole_name_ignoring_case():
    rule = only_rule("display_name = Finance-?? *\nreason = x")

    assert rule.matches(group("Finance-EU team"))
    assert rule.matches(group("FINANCE-eu Team"))
    assert not rule.matches(group("Finance-EUR team"))
    assert not rule.matches(group("Old Finance-EU team"))


def test_glob_folds_like_group_names():
    # Group names are unique after Unicode case folding, so the glob folds too.
    rule = only_rule("display_name = Straße-*\nreason = x")

    assert rule.matches(group("STRASSE-1"))


def test_glob_character_class():
    rule = only_rule("display_name = Team-[0-9]\nreason = x")

    assert rule.matches(group("team-7"))
    assert not rule.matches(group("team-x"))


def test_regex_matches_whole_name_ignoring_case():
    rule = only_rule("display_name_regex = Payroll-[0-9]{4}\nreason = x")

    assert rule.matches(group("Payroll-2024"))
    assert rule.matches(group("payroll-2024"))
    assert not rule.matches(group("Payroll-20245"))
    assert not rule.matches(group("Old Payroll-2024"))


def test_external_id_prefix_is_exact():
    rule = only_rule("external_id_prefix = workday:\nreason = x")

    assert rule.matches(group(external_id="workday:17"))
    assert not rule.matches(group(external_id="Workday:17"))
    assert not rule.matches(group(external_id="sap:workday:17"))
    assert not rule.matches(group(external_id=None))


def test_all_conditions_must_match():
    rule = only_rule("source = erp\ndisplay_name = Vault-*\nreason = x")

    assert rule.matches(group("Vault-1", source="erp"))
    assert not rule.matches(group("Vault-1", source="local"))
    assert not rule.matches(group("Ledger", source="erp"))


# --- The veto without HTTP --------------------------------------------------------


def hr_guardrail() -> GroupRulesGuardrail:
    return GroupRulesGuardrail(
        parse_rules({"rule.hr": "source = hr\nreason = Ask HR."}, KNOWN_PERMISSIONS)
    )


def test_veto_without_request_rejects():
    guardrail = hr_guardrail()
    change = GroupChange(group(source="hr"), "owners", "remove", "u-1")

    assert guardrail.access_platform_group_change_veto(None, change) == "Ask HR."


def test_veto_allows_unmatched_group():
    guardrail = hr_guardrail()
    change = GroupChange(group(source="local"), "members", "add", "u-1")

    assert guardrail.access_platform_group_change_veto(None, change) is None


# --- Start-up ---------------------------------------------------------------------

INVALID_STARTUPS = [
    pytest.param("sorce = hr\nreason = x", "unknown key 'sorce'", id="unknown-condition-key"),
    pytest.param("", "is empty", id="empty-rule"),
    pytest.param("display_name_regex = (\nreason = x", "regular expression", id="bad-pattern"),
    pytest.param("display_name = Ops-*", "has no reason", id="no-reason"),
]


@pytest.mark.parametrize(("text", "message"), INVALID_STARTUPS)
def test_invalid_rule_stops_startup(platform, text, message):
    with pytest.raises(ConfigurationError) as raised:
        platform(ini_file=INI_FILE, settings={"access_platform.group_rules.rule.broken": text})

    assert "access_platform.group_rules.rule.broken" in str(raised.value)
    assert message in str(raised.value)


def test_unknown_setting_stops_startup(platform):
    with pytest.raises(ConfigurationError, match=r"access_platform\.group_rules\.rules\.finance"):
        platform(
            ini_file=INI_FILE,
            settings={"access_platform.group_rules.rules.finance": "source = hr\nreason = x"},
        )


def test_core_permission_accepted_as_default(platform):
    # Rules are parsed against the whole catalogue, core permissions included.
    running = platform(
        ini_file=INI_FILE, settings={"access_platform.group_rules.permission": "groups.write"}
    )

    guardrail = running.registry.plugin_manager.get_plugin("group_rules.guardrail")
    assert {rule.permission for rule in guardrail.rules} == {"groups.write", "*"}


def test_invalid_rule_ignored_when_disabled(platform):
    # Installed is not enabled: without the plugin its settings are not read.
    running = platform(
        ini_file=INI_FILE,
        settings={
            "access_platform.plugins": "",
            "access_platform.group_rules.rule.broken": "",
        },
    )

    assert running.registry.plugin_manager.get_plugin("group_rules.guardrail") is None
