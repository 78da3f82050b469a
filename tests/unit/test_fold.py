"""Folding of names for case-insensitive uniqueness and lookups."""

from __future__ import annotations

from access_platform.users.models import fold


def test_fold_matches_unicode_variants():
    assert fold("ＡＬＩＣＥ") == fold("alice")
    assert fold("a\u0301lice") == fold("\u00e1lice")
    assert fold("Straße") == fold("STRASSE")
    assert fold(None) == ""
