"""Settings: where each value comes from, what a bad value says, and the docs rendered from them."""

from __future__ import annotations

import pytest

from gpassist import create_app
from gpassist.config import Settings, SettingsError, configuration_markdown, load_settings
from tests.conftest import ROOT


def test_the_environment_overrides_defaults_and_the_caller_overrides_the_environment(tmp_path):
    environ = {
        "GPASSIST_TOKEN_TTL_HOURS": "3",
        "GPASSIST_LOGIN_MAX_FAILURES": "9",
        "GPASSIST_INSTANCE_PATH": str(tmp_path),
        "OTHER_TOKEN_TTL_HOURS": "7",  # not ours
    }
    values = load_settings(environ, {"LOGIN_MAX_FAILURES": 2, "TESTING": True})
    assert values["TOKEN_TTL_HOURS"] == 3.0
    assert values["LOGIN_MAX_FAILURES"] == 2
    assert values["LOGIN_LOCK_MINUTES"] == 15.0
    assert values["TESTING"] is True  # Flask's own keys pass through
    assert values["DATABASE_URL"] == f"sqlite:///{tmp_path / 'gpassist.db'}"


def test_an_empty_variable_counts_as_unset():
    values = load_settings({"GPASSIST_LOG_LEVEL": "", "GPASSIST_SOCKETIO_QUEUE": ""})
    assert values["LOG_LEVEL"] == "INFO"
    assert values["SOCKETIO_QUEUE"] is None


def test_the_log_level_is_read_in_any_case():
    assert load_settings({"GPASSIST_LOG_LEVEL": "warning"})["LOG_LEVEL"] == "WARNING"


@pytest.mark.parametrize(
    ("name", "raw"),
    [
        ("TOKEN_TTL_HOURS", "twelve"),
        ("LOGIN_MAX_FAILURES", "5.5"),
        ("SOCKETIO_ASYNC_MODE", "eventlet"),
        ("LOG_LEVEL", "LOUD"),
    ],
)
def test_a_bad_value_names_the_variable_but_not_the_value(name, raw):
    with pytest.raises(SettingsError, match=f"GPASSIST_{name}:") as caught:
        load_settings({f"GPASSIST_{name}": raw})
    assert raw not in str(caught.value)


def test_a_bad_secret_is_not_repeated_in_the_error():
    with pytest.raises(SettingsError, match="GPASSIST_CONSULT_ATTACHMENT_MAX_BYTES") as caught:
        load_settings({"GPASSIST_CONSULT_ATTACHMENT_MAX_BYTES": "hunter2-secret"})
    assert "hunter2" not in str(caught.value)


def test_the_app_refuses_to_start_with_a_bad_setting(tmp_path):
    with pytest.raises(SettingsError, match=r"config\['TOKEN_TTL_HOURS'\]"):
        create_app({"INSTANCE_PATH": str(tmp_path), "TOKEN_TTL_HOURS": "soon"})


def test_app_config_keys_are_the_setting_names(app):
    for name in Settings.model_fields:
        assert name in app.config


def test_every_setting_has_a_type_a_default_and_a_description():
    for name, field in Settings.model_fields.items():
        assert field.description, name
        assert field.annotation is not None, name
        assert not field.is_required(), name


def test_the_configuration_page_is_rendered_from_the_settings():
    committed = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert committed == configuration_markdown(), (
        "docs/configuration.md is stale: run `python -m gpassist.config > docs/configuration.md`"
    )
    for name in Settings.model_fields:
        assert f"`GPASSIST_{name}`" in committed


def test_the_command_line_names_a_bad_variable_without_a_traceback(tmp_path):
    from click.testing import CliRunner

    from gpassist.cli import main

    env = {"GPASSIST_INSTANCE_PATH": str(tmp_path), "GPASSIST_LOGIN_LOCK_MINUTES": "a while"}
    result = CliRunner().invoke(main, ["db", "upgrade"], env=env)
    assert result.exit_code == 1
    assert "GPASSIST_LOGIN_LOCK_MINUTES" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "gpassist.db").exists()


def test_the_production_app_runs_gevent_unless_the_environment_says_otherwise(monkeypatch):
    from gpassist.wsgi import production_overrides

    monkeypatch.delenv("GPASSIST_SOCKETIO_ASYNC_MODE", raising=False)
    assert load_settings(overrides=production_overrides())["SOCKETIO_ASYNC_MODE"] == "gevent"
    monkeypatch.setenv("GPASSIST_SOCKETIO_ASYNC_MODE", "threading")
    assert load_settings(overrides=production_overrides())["SOCKETIO_ASYNC_MODE"] == "threading"
