"""The docs a new user reads stay true to the code."""

from __future__ import annotations

import re

from gpassist.config import SETTINGS
from tests.conftest import ROOT


def test_every_setting_is_documented():
    text = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    missing = [s.name for s in SETTINGS if f"`GPASSIST_{s.name}`" not in text]
    assert missing == []


def test_documented_settings_exist():
    text = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"`GPASSIST_([A-Z_]+)`", text))
    test_only = {
        n for n in documented if n.startswith(("TEST_", "REQUIRE_", "HYPOTHESIS_", "FUZZ_"))
    }
    assert documented - test_only == {s.name for s in SETTINGS}


def test_readme_opens_with_the_two_commands():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    first_block = text.split("```")[1]
    commands = [line.split("#")[0].strip() for line in first_block.splitlines()[1:] if line.strip()]
    assert commands == ["make run", "make test"]
