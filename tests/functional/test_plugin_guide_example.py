"""The example plugin and the call order that docs/plugins.md describes, checked against the app.

The example's files are written out from the guide into a temporary folder,
next to a ``dist-info`` directory made from its pyproject.toml, so that
``importlib.metadata`` finds its entry point as it would after
``pip install``.
"""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from access_platform import main
from access_platform.guardrails import GroupChange, check_group_change
from access_platform.plugins import create_plugin_manager, describe_installed
from tests.plugin_guide import example_files, read_guide

EXAMPLE_ROOT = "access-platform-hello"

# Plugins that record the order of their access_platform_configure calls on
# the registry.
ORDER_PLUGINS = """
from access_platform.hookspecs import hookimpl


def record(config, name):
    config.registry.configure_order = [*getattr(config.registry, "configure_order", []), name]


class Plain:
    def __init__(self, name):
        self.name = name

    @hookimpl
    def access_platform_configure(self, config):
        record(config, self.name)


class Early:
    @hookimpl(tryfirst=True)
    def access_platform_configure(self, config):
        record(config, "early")


class Late:
    @hookimpl(trylast=True)
    def access_platform_configure(self, config):
        record(config, "late")


first = Plain("first")
second = Plain("second")
early = Early()
late = Late()
"""


class Group:
    def __init__(self, display_name: str, source: str = "local") -> None:
        self.id = "group-1"
        self.display_name = display_name
        self.source = source
        self.membership_mode = "assigned"
        self.external_id = None


def write_dist_info(
    folder: Path, name: str, version: str, entry_points: dict[str, dict[str, str]]
) -> None:
    """Write the metadata that importlib.metadata reads for an installed distribution."""
    dist_info = folder / f"{name.replace('-', '_')}-{version}.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n", encoding="utf-8"
    )
    lines = []
    for group, entries in entry_points.items():
        lines.append(f"[{group}]")
        lines.extend(f"{entry} = {value}" for entry, value in entries.items())
    (dist_info / "entry_points.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")


@contextmanager
def on_import_path(folder: Path) -> Iterator[None]:
    sys.path.insert(0, str(folder))
    importlib.invalidate_caches()
    try:
        yield
    finally:
        sys.path.remove(str(folder))


@pytest.fixture(scope="module")
def example_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The example plugin written out from the guide and installed from its src folder."""
    parent = tmp_path_factory.mktemp("plugin-guide")
    for relative_path, content in example_files(read_guide()).items():
        path = parent / relative_path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")

    folder = parent / EXAMPLE_ROOT
    project = tomllib.loads((folder / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    source = folder / "src"
    write_dist_info(source, project["name"], project["version"], project["entry-points"])
    with on_import_path(source):
        yield folder


@pytest.fixture(scope="module")
def order_plugins_installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    folder = tmp_path_factory.mktemp("order-plugins")
    (folder / "order_plugins.py").write_text(ORDER_PLUGINS, encoding="utf-8")
    names = ("first", "second", "early", "late")
    entry_points = {"access_platform.plugins": {name: f"order_plugins:{name}" for name in names}}
    write_dist_info(folder, "order-plugins", "1.0", entry_points)
    with on_import_path(folder):
        yield


# --- The example plugin ------------------------------------------------------------


def test_example_is_installed(example_folder: Path) -> None:
    installed = {plugin.name: plugin for plugin in describe_installed()}

    assert "hello" in installed
    assert installed["hello"].distribution == "access-platform-hello"
    assert installed["hello"].value == "access_platform_hello"


def test_example_view_answers(platform: Any, example_folder: Path) -> None:
    running = platform(
        settings={
            "access_platform.plugins": "hello",
            "access_platform.hello.greeting": "Hello from the guide",
        }
    )

    response = running.testapp.get("/api/v1/hello", headers=running.admin.headers, status=200)

    assert response.json == {"greeting": "Hello from the guide"}


def test_example_guardrail_outside_request(example_folder: Path) -> None:
    manager = create_plugin_manager(("hello",))

    reason = check_group_change(manager, None, GroupChange(Group("Team"), "members", "add", "u1"))

    assert reason == "The hello plugin checks group changes only during a request."


def test_example_tests_pass(example_folder: Path) -> None:
    test_file = example_folder / "tests" / "test_hello.py"
    test_count = len(re.findall(r"^def test_", test_file.read_text(encoding="utf-8"), re.M))
    python_path = [str(example_folder / "src")]
    if os.environ.get("PYTHONPATH"):
        python_path.append(os.environ["PYTHONPATH"])

    # A separate pytest run, as the plugin's author would start it: the
    # test kit must load from its pytest11 entry point, not from this suite.
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=example_folder,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(python_path)},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{test_count} passed" in result.stdout


# --- Call order ----------------------------------------------------------------------


def test_plugin_veto_reason_comes_first(sample_plugins_installed: None) -> None:
    manager = create_plugin_manager(("sample",))
    # Both the sample plugin (locked-*) and the built-in guardrail (source=idp) veto.
    change = GroupChange(Group("locked-payroll", source="idp"), "members", "add", "u1")

    reason = check_group_change(manager, None, change)

    assert reason == "Sample rule: groups named locked-* are frozen."


def test_configure_runs_in_registration_order(
    app_settings: dict[str, str], order_plugins_installed: None
) -> None:
    settings = {**app_settings, "access_platform.plugins": "first early second late"}

    registry = main({}, **settings).app.registry

    assert registry.configure_order == ["late", "first", "second", "early"]
