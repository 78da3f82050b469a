"""The README's ini block, uncommented, starts the app with the example extensions."""

from __future__ import annotations

import configparser
import re

from access_platform_scim_extensions.settings import PREFIX, SETTINGS
from scim_extensions_helpers import ACME_GROUP, ACME_USER, TESTS, ScimClient

README = TESTS.parent / "README.md"
REPOSITORY_ROOT = TESTS.parent.parent.parent


def readme_settings() -> dict[str, str]:
    """Return the settings of the README's ini block, uncommented, for development.ini's folder."""
    block = re.search(r"```ini\n(.*?)```", README.read_text(), re.DOTALL).group(1)
    lines = [line.removeprefix("# ") for line in block.splitlines() if line.startswith("# ")]
    settings = [line for line in lines if line.startswith(("access_platform.", "    "))]
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_string("[app:main]\n" + "\n".join(settings))
    return {
        key: value.replace("%(here)s", str(REPOSITORY_ROOT))
        for key, value in parser["app:main"].items()
    }


def test_readme_block_lists_every_setting():
    assert sorted(readme_settings()) == sorted(PREFIX + key for key in SETTINGS)


def test_readme_block_starts_the_app(platform):
    running = platform(settings={"access_platform.plugins": "scim_extensions", **readme_settings()})
    client = ScimClient(running.testapp, running.scim_headers())

    user_type = client.get("/ResourceTypes/User").json
    group_type = client.get("/ResourceTypes/Group").json

    assert {"schema": ACME_USER, "required": False} in user_type["schemaExtensions"]
    assert {"schema": ACME_GROUP, "required": False} in group_type["schemaExtensions"]
