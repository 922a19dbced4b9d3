"""The README's shell examples work as written: its API-by-curl block runs, unchanged but for the
port, against a real server on a freshly seeded demo, and every request must answer 2xx."""

from __future__ import annotations

import functools
import json
import re
import subprocess

import pytest

from gpassist.auth import service as auth_service
from tests.cli import succeeds, use_settings
from tests.conftest import DEMO_COUNTY, ROOT
from tests.servers import BIN, free_port, running_server, service_env

# Every curl in the block fails the script on a non-2xx answer (and says why).
PRELUDE = """set -euo pipefail
curl() { command curl --fail-with-body --show-error "$@"; printf '\\n'; }
"""


def sh_block(document: str, after: str) -> str:
    """The first ```sh block after the heading ``after`` in ``document``."""
    text = (ROOT / document).read_text(encoding="utf-8")
    match = re.search(r"```sh\n(.*?)```", text.split(after, 1)[1], re.S)
    assert match, f"{document} has no ```sh block after {after!r}"
    return match.group(1)


def readme_api_block() -> str:
    """The README's API-by-curl example (the first ```sh block after the demo logins)."""
    return sh_block("README.md", "## Demo logins")


def api_doc_block() -> str:
    """docs/api.md's visit by curl."""
    return sh_block("docs/api.md", "## A visit, by curl")


def run_against(base: str, block: str, cwd) -> list[dict]:
    """Run ``block`` against the server at ``base``; the JSON it printed, one answer a line."""
    script = PRELUDE + block.replace("localhost:5000", base.removeprefix("http://"))
    done = subprocess.run(
        ["bash", "-c", script], capture_output=True, text=True, timeout=120, cwd=cwd
    )
    assert done.returncode == 0, f"example failed:\n{done.stdout}\n{done.stderr}"
    return [json.loads(line) for line in done.stdout.splitlines() if line.strip()]


def test_the_blocks_use_what_the_previous_command_returned():
    for block in (readme_api_block(), api_doc_block()):
        assert "localhost:5000" in block
        assert "/patients/1/" not in block  # another clinic's patient in the demo: a 404
        assert "$PATIENT" in block and "$TOKEN" in block


@pytest.mark.slow
def test_the_readme_curl_examples_answer_2xx(empty_database_url, tmp_path, monkeypatch):
    use_settings(monkeypatch, empty_database_url, tmp_path / "instance")
    # The demo's users share one password: hash it once (a real hash, so the login checks it).
    monkeypatch.setattr(auth_service, "hash_password", functools.cache(auth_service.hash_password))
    for step in [
        ("db", "upgrade"),
        ("load-clinics", str(DEMO_COUNTY)),
        ("seed-demo", "--patients", "80"),
    ]:
        succeeds(*step)
    port = free_port()
    env = service_env(empty_database_url, tmp_path / "instance")
    args = [str(BIN / "gpassist"), "serve", "--port", str(port)]
    with running_server(args, env, port, ready_path="/readyz") as base:
        readme = run_against(base, readme_api_block(), tmp_path)
        api_doc = run_against(base, api_doc_block(), tmp_path)
    encounter, due_today, due_this_week = readme
    assert encounter["vitals"]["sbp"] == 168
    assert due_today["kind"] == "due_today" and due_this_week["kind"] == "due_this_week"
    search, confirmed = api_doc
    assert any(p["name"] == "张三" for p in search["items"])
    assert confirmed["diagnoses"] == ["I10"]
