"""The hook reference in docs/plugins.md stays in step with access_platform/hookspecs.py.

Each hook has a section headed ### `name(argument, ...)` whose first line
reads "Result rule: <rule>". The rule is derived from the hookspec:
``firstresult=True`` is "first result wins", a docstring containing "any
veto" is "any veto", and every other hook is "collect all".
"""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass
from pathlib import PurePosixPath

import pluggy
import pytest

from access_platform import hookspecs
from access_platform.settings import SETTINGS
from tests.plugin_guide import example_files, read_guide

HOOK_HEADING = re.compile(r"^### `(?P<name>access_platform_\w+)\((?P<arguments>[^)]*)\)`$", re.M)
RESULT_RULE = re.compile(r"^Result rule: (?P<rule>.+)$", re.M)
RULES = ("first result wins", "collect all", "any veto")


@dataclass(frozen=True)
class HookSpec:
    arguments: tuple[str, ...]
    rule: str


@dataclass(frozen=True)
class HookSection:
    arguments: tuple[str, ...]
    rule_lines: tuple[str, ...]


def hook_specs() -> dict[str, HookSpec]:
    """Return every hookspec in access_platform.hookspecs with its arguments and result rule."""
    manager = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    specs = {}
    for name, function in inspect.getmembers(hookspecs, inspect.isfunction):
        options = manager.parse_hookspec_opts(hookspecs, name)
        if options is None:
            continue
        if options.get("firstresult"):
            rule = "first result wins"
        elif "any veto" in (function.__doc__ or "").lower():
            rule = "any veto"
        else:
            rule = "collect all"
        specs[name] = HookSpec(tuple(inspect.signature(function).parameters), rule)
    return specs


def hook_sections(guide: str) -> dict[str, HookSection]:
    """Return the guide's hook sections: the arguments in each heading and its result-rule lines."""
    headings = list(HOOK_HEADING.finditer(guide))
    sections = {}
    for index, heading in enumerate(headings):
        end = headings[index + 1].start() if index + 1 < len(headings) else len(guide)
        body = guide[heading.end() : end]
        # A section also ends at the next heading that is not a hook's, such as a ## heading.
        next_heading = re.search(r"^#{1,3} ", body, re.M)
        if next_heading is not None:
            body = body[: next_heading.start()]
        arguments = tuple(
            argument.strip() for argument in heading["arguments"].split(",") if argument.strip()
        )
        rules = tuple(match["rule"] for match in RESULT_RULE.finditer(body))
        sections[heading["name"]] = HookSection(arguments, rules)
    return sections


SPECS = hook_specs()


@pytest.fixture(scope="module")
def sections() -> dict[str, HookSection]:
    return hook_sections(read_guide())


def test_hook_specs_parsed():
    assert "access_platform_authenticate" in SPECS
    assert SPECS["access_platform_authenticate"].rule == "first result wins"
    assert SPECS["access_platform_group_change_veto"].rule == "any veto"


def test_guide_documents_every_hook(sections):
    undocumented = set(SPECS) - set(sections)

    assert undocumented == set(), "add a ### `name(arguments)` section to docs/plugins.md"


def test_guide_sections_name_real_hooks(sections):
    unknown = set(sections) - set(SPECS)

    assert unknown == set()


@pytest.mark.parametrize("name", sorted(SPECS))
def test_hook_arguments_match_spec(sections, name):
    if name not in sections:
        pytest.skip(f"{name} has no section; test_guide_documents_every_hook reports it")

    assert sections[name].arguments == SPECS[name].arguments


@pytest.mark.parametrize("name", sorted(SPECS))
def test_hook_result_rule_matches_spec(sections, name):
    if name not in sections:
        pytest.skip(f"{name} has no section; test_guide_documents_every_hook reports it")
    rule_lines = sections[name].rule_lines

    assert len(rule_lines) == 1, f"{name} needs exactly one 'Result rule:' line"
    # The rule may be followed by a remark in brackets, such as "(results are ignored)".
    documented = rule_lines[0].split(" (")[0].rstrip(".")
    assert documented in RULES
    assert documented == SPECS[name].rule


def test_guide_names_no_unknown_hook():
    guide = read_guide()
    # Names in the example's file paths, such as the package access_platform_hello, are no hooks.
    example_names = {
        part for path in example_files(guide) for part in PurePosixPath(path).with_suffix("").parts
    }

    mentioned = set(re.findall(r"\baccess_platform_[a-z0-9_]+", guide))

    assert mentioned - set(SPECS) - example_names == set()


def test_guide_lists_core_setting_groups():
    guide = read_guide()
    # A plugin named after one of these groups would be passed its settings.
    groups = {
        setting.key.split(".")[1]
        for setting in SETTINGS
        if setting.key.startswith("access_platform.") and setting.key.count(".") >= 2
    }

    missing = {group for group in groups if f"`{group}`" not in guide}

    assert missing == set()


def test_example_layout_lists_every_file():
    guide = read_guide()
    files = example_files(guide)
    tree = re.search(r"^```text\n(?P<root>[\w.-]+)/\n(?P<entries>.*?)^```$", guide, re.M | re.S)
    assert tree is not None, "the example's layout block is missing"

    listed = {
        f"{tree['root']}/{line.split('── ', 1)[1].strip()}"
        for line in tree["entries"].splitlines()
        if "── " in line
    }

    assert listed == set(files)
    assert any(path.endswith("pyproject.toml") for path in files)
