"""Fixtures for the scim_extensions tests: the app built from the test ini file, over HTTP."""

from __future__ import annotations

from typing import Any

import pytest
from scim_extensions_helpers import INI_FILE, ScimClient


@pytest.fixture
def acme(platform) -> Any:
    """The app with the plugin enabled and the example file, as the test ini file sets it."""
    return platform(ini_file=INI_FILE)


@pytest.fixture
def scim(acme) -> ScimClient:
    return ScimClient(acme.testapp, acme.scim_headers())
