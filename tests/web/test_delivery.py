"""How the pages' files reach a slow county network: compressed, cached for a year when their
URL carries the content hash, revalidated otherwise, and a favicon."""

from __future__ import annotations

import re

from tests.web.test_login import log_in

STATIC_URL = re.compile(r'(?:href|src)="(/assets/[^"?]+)\?v=([0-9a-f]{12})"')


def test_every_static_file_on_a_page_is_linked_by_its_content_hash(client, users):
    page = client.get("/login")
    linked = dict(STATIC_URL.findall(page.text))
    assert {"/assets/css/app.css", "/assets/js/api.js", "/assets/favicon.svg"} <= set(linked)
    for path, version in linked.items():
        answer = client.get(f"{path}?v={version}")
        assert answer.status_code == 200
        assert answer.headers["Cache-Control"] == "public, max-age=31536000, immutable"


def test_a_static_file_without_its_current_hash_is_revalidated_not_kept(client):
    for url in ("/assets/css/app.css", "/assets/css/app.css?v=000000000000"):
        answer = client.get(url)
        assert answer.status_code == 200
        assert answer.headers["Cache-Control"] == "no-cache"
        assert answer.headers.get("ETag")
        again = client.get(url, headers={"If-None-Match": answer.headers["ETag"]})
        assert again.status_code == 304


def test_the_hash_changes_when_the_file_does(tmp_path):
    from gpassist.web.assets import AssetVersions

    (tmp_path / "a.css").write_text("body { color: red }")
    versions = AssetVersions(str(tmp_path))
    first = versions.version("a.css")
    (tmp_path / "a.css").write_text("body { color: blue }")
    assert versions.version("a.css") != first
    assert versions.version("missing.css") is None
    assert versions.version("../secret") is None


def test_pages_css_and_scripts_are_compressed_for_a_browser_that_accepts_it(client, users):
    log_in(client, "doctor_a")
    for url in ("/app/today", "/assets/css/app.css", "/assets/js/visit.js"):
        plain = client.get(url)
        assert plain.status_code == 200 and "Content-Encoding" not in plain.headers
        gzipped = client.get(url, headers={"Accept-Encoding": "gzip, deflate"})
        assert gzipped.headers["Content-Encoding"] == "gzip", url
        assert "Accept-Encoding" in gzipped.headers["Vary"]
        assert int(gzipped.headers["Content-Length"]) < len(plain.data) / 2
        brotli = client.get(url, headers={"Accept-Encoding": "gzip, deflate, br"})
        assert brotli.headers["Content-Encoding"] == "br", url
        assert len(brotli.data) <= len(gzipped.data)


def test_the_api_answers_are_compressed_too(client, users):
    log_in(client, "doctor_a")
    answer = client.get("/api/v1/drugs?limit=50", headers={"Accept-Encoding": "gzip"})
    assert answer.status_code == 200
    assert answer.headers["Content-Encoding"] == "gzip"


def test_the_favicon_is_served_and_linked(client):
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200
    assert icon.mimetype in ("image/vnd.microsoft.icon", "image/x-icon")
    assert icon.data[:4] == b"\x00\x00\x01\x00"  # an ICO file
    assert "max-age" in icon.headers["Cache-Control"]
    page = client.get("/login").text
    assert 'rel="icon"' in page and "/assets/favicon.svg?v=" in page
    svg = client.get(re.search(r'"(/assets/favicon\.svg\?v=[0-9a-f]+)"', page).group(1))
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
