"""Read docs/plugins.md for the tests that keep the plugin guide true to the code."""

from __future__ import annotations

import re
from pathlib import Path

GUIDE_PATH = Path(__file__).resolve().parent.parent / "docs" / "plugins.md"

# Each file of the example plugin is a fenced block right after a line
# reading File: `<path>`.
EXAMPLE_FILE = re.compile(
    r"^File: `(?P<path>[^`]+)`\n\n```[a-z]*\n(?P<content>.*?)^```$", re.MULTILINE | re.DOTALL
)


def read_guide() -> str:
    return GUIDE_PATH.read_text(encoding="utf-8")


def example_files(guide: str) -> dict[str, str]:
    """Return the example plugin's files from the guide, by path relative to its parent folder."""
    return {match["path"]: match["content"] for match in EXAMPLE_FILE.finditer(guide)}
