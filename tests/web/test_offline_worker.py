"""The service worker that keeps opened pages readable offline: served from the site's root,
never cached stale, with the hashed URLs it keeps and a version that follows the files.
The browser side is tests/browser/test_offline.py."""

from __future__ import annotations

import json
import re

from gpassist.web.assets import AssetVersions
from gpassist.web.offline import assets_version, static_files

PRECACHE = re.compile(r"var PRECACHE = (\[.*?\]);")
VERSION = re.compile(r'var VERSION = "([0-9a-f]{12})";')


def test_the_worker_is_served_from_the_root_and_always_revalidated(client):
    answer = client.get("/sw.js")
    assert answer.status_code == 200
    assert answer.mimetype == "text/javascript"
    assert answer.headers["Cache-Control"] == "no-cache"
    assert answer.headers["Service-Worker-Allowed"] == "/"
    assert VERSION.search(answer.text)


def test_every_file_the_worker_keeps_is_a_current_hashed_url(client):
    kept = json.loads(PRECACHE.search(client.get("/sw.js").text).group(1))
    assert "/offline" in kept and "/favicon.ico" in kept
    hashed = [url for url in kept if url.startswith("/assets/")]
    assert any(url.startswith("/assets/js/visit.js?v=") for url in hashed)
    assert any(url.startswith("/assets/css/app.css?v=") for url in hashed)
    for url in hashed:
        answer = client.get(url)
        assert answer.status_code == 200, url
        assert answer.headers["Cache-Control"] == "public, max-age=31536000, immutable", url


def test_the_version_changes_when_any_static_file_does(tmp_path):
    (tmp_path / "js").mkdir()
    (tmp_path / "js" / "a.js").write_text("one()")
    (tmp_path / "README.md").write_text("not linked")
    versions = AssetVersions(str(tmp_path))
    files = static_files(str(tmp_path))
    assert files == ["js/a.js"]
    first = assets_version(versions, files)
    (tmp_path / "js" / "a.js").write_text("two()")
    assert assets_version(versions, files) != first


def test_the_offline_page_is_chinese_then_english_and_starts_no_session(client):
    answer = client.get("/offline")
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "no-cache"
    text = answer.text
    chinese, english = "离线：网络恢复后再试", "Offline: try again when the network is back"
    assert text.index(chinese) < text.index(english)
    assert "Set-Cookie" not in answer.headers
