"""Run the ``gpassist`` command in the test process with click's runner."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from gpassist.cli import main


def use_settings(monkeypatch: pytest.MonkeyPatch, database_url: str, instance: Path) -> None:
    """Point the commands at ``database_url`` as an operator does, through ``GPASSIST_*``
    variables, with none of the outer environment's settings leaking in (restored after the test).
    """
    for name in list(os.environ):
        if name.startswith("GPASSIST_") and not name.startswith("GPASSIST_TEST_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("GPASSIST_DATABASE_URL", database_url)
    monkeypatch.setenv("GPASSIST_INSTANCE_PATH", str(instance))
    monkeypatch.setenv("GPASSIST_LOG_LEVEL", "WARNING")


def gpassist(*args: str, input: str | None = None) -> Result:
    """``gpassist ARGS`` in this process; the result's ``stdout``, ``stderr`` and ``exit_code``."""
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


def succeeds(*args: str, input: str | None = None) -> str:
    """The standard output of ``gpassist ARGS``, which must exit with 0."""
    result = gpassist(*args, input=input)
    assert result.exit_code == 0, result.output
    return result.stdout
