"""The pages a doctor has opened stay readable when a village clinic's link drops.

A small service worker (``templates/sw.js``) is served at ``/sw.js`` so that its scope is the
whole site. It keeps the static files (content-hashed, so cache-first is safe) and the ``/app``
pages opened while logged in (network first, the last good copy when the network is down), and
answers a page it never kept with ``/offline``. ``/api/`` answers are never kept: the visit's
drafts in ``localStorage`` are the offline store (docs/web.md).

The worker's caches are named after the version of the assets (a hash over every static file
and the worker itself), so a deploy installs a new worker that drops the old caches.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from flask import Blueprint, Flask, Response, current_app, render_template, url_for

from gpassist.web.assets import HASH_LENGTH, REVALIDATE, AssetVersions

WORKER_TEMPLATE = Path(__file__).with_name("templates") / "sw.js"
# Files the pages link (everything in the static folder but notes about it).
PRECACHED_SUFFIXES = (".css", ".js", ".svg", ".ico", ".png", ".woff2")

bp = Blueprint("offline", __name__)


def static_files(folder: str) -> list[str]:
    """The static folder's files the pages may link, as paths relative to it, sorted."""
    found = []
    for root, _dirs, names in os.walk(folder):
        for name in names:
            if name.endswith(PRECACHED_SUFFIXES):
                found.append(Path(root, name).relative_to(folder).as_posix())
    return sorted(found)


def assets_version(versions: AssetVersions, files: list[str]) -> str:
    """One hash over every static file's content hash and the worker's own source."""
    digest = hashlib.sha256()
    for name in files:
        digest.update(f"{name}={versions.version(name)}\n".encode())
    digest.update(WORKER_TEMPLATE.read_bytes())
    return digest.hexdigest()[:HASH_LENGTH]


@bp.get("/sw.js")
def service_worker() -> Response:
    versions: AssetVersions = current_app.extensions["gpassist.assets"]
    files = static_files(versions.folder)
    script = render_template(
        "sw.js",
        version=assets_version(versions, files),
        precache=[url_for("web.static", filename=name) for name in files]
        + [url_for("favicon"), url_for("offline.offline_page")],
        offline_url=url_for("offline.offline_page"),
    )
    response = Response(script, content_type="text/javascript; charset=utf-8")
    # Browsers check the worker at every navigation; never answer from a stale copy.
    response.headers["Cache-Control"] = REVALIDATE
    response.headers["Service-Worker-Allowed"] = "/"
    return response


@bp.get("/offline")
def offline_page() -> Response:
    """What the worker shows for a page it never kept while the network is down."""
    response = Response(render_template("offline.html"), content_type="text/html; charset=utf-8")
    response.headers["Cache-Control"] = REVALIDATE
    return response


def init_offline(app: Flask) -> None:
    app.register_blueprint(bp)
