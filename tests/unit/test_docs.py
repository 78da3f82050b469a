"""The docs stay in step with the code."""

from __future__ import annotations

import re


def test_docs_list_every_problem_type(project_root):
    source = "\n".join(
        path.read_text() for path in (project_root / "access_platform").rglob("*.py")
    )
    slugs = set(re.findall(r'problem_type\("([a-z-]+)"\)', source))
    document = (project_root / "docs" / "errors.md").read_text()

    missing = {slug for slug in slugs if f"urn:access-platform:problem:{slug}`" not in document}
    assert missing == set()
