"""How the pages' files travel: compressed, content-hashed URLs cached for a year, a favicon.

- Every response the browser can use compressed (HTML, JSON, CSS, JavaScript, SVG) is sent
  with brotli or gzip when the request accepts it (Flask-Compress).
- ``url_for("web.static", filename=...)`` appends ``?v=<hash of the file's contents>``. A request
  whose ``v`` is the file's current hash gets ``Cache-Control: public, max-age=31536000,
  immutable``: the browser keeps it a year and never asks again, and a changed file has a new
  URL. Any other request for the file (no ``v``, or an old one) is revalidated every time
  (``no-cache`` with an ETag), so nothing stale is kept.
- ``/favicon.ico`` answers with the icon, for browsers that ask for it without reading
  ``<link rel=icon>``.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from flask import Blueprint, Flask, Response, request, send_from_directory
from flask_compress import Compress
from werkzeug.security import safe_join

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
HASH_LENGTH = 12  # hex digits of SHA-256: enough to tell versions of one file apart

# What is worth compressing; images in PNG/ICO are compressed already.
COMPRESSED_TYPES = [
    "text/html",
    "text/css",
    "text/plain",
    "text/csv",
    "text/javascript",
    "application/javascript",
    "application/json",
    "application/problem+json",
    "image/svg+xml",
]

compress = Compress()


class AssetVersions:
    """The content hash of each file in a static folder, recomputed only when the file changes."""

    def __init__(self, folder: str) -> None:
        self.folder = folder
        self._known: dict[str, tuple[tuple[int, int], str]] = {}

    def version(self, filename: str) -> str | None:
        """The file's content hash, or None when there is no such file."""
        path = safe_join(self.folder, filename)
        if path is None:
            return None
        try:
            stat = os.stat(path)
        except OSError:
            return None
        stamp = (stat.st_mtime_ns, stat.st_size)
        known = self._known.get(filename)
        if known is not None and known[0] == stamp:
            return known[1]
        digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()[:HASH_LENGTH]
        self._known[filename] = (stamp, digest)
        return digest


def init_assets(app: Flask, bp: Blueprint) -> None:
    """Compression, hashed static URLs with their cache lifetimes, and /favicon.ico.

    Called after ``bp`` is registered: everything here is added to the app, so each app that
    ``create_app`` makes gets its own hooks and the module's blueprint is never changed.
    """
    app.config.setdefault("COMPRESS_MIMETYPES", COMPRESSED_TYPES)
    # Browsers offer br only over HTTPS; over the county's plain-HTTP LAN they get gzip.
    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])
    app.config.setdefault("COMPRESS_BR_LEVEL", 5)
    compress.init_app(app)

    assert bp.static_folder is not None
    folder = bp.static_folder
    versions = AssetVersions(folder)
    app.extensions["gpassist.assets"] = versions  # the service worker's version (offline.py)
    static_endpoint = f"{bp.name}.static"

    def hash_static_urls(endpoint: str, values: dict) -> None:
        if endpoint == static_endpoint and "v" not in values and "filename" in values:
            version = versions.version(values["filename"])
            if version is not None:
                values["v"] = version

    def cache_static_files(response: Response) -> Response:
        if request.endpoint != static_endpoint or response.status_code not in (200, 304):
            return response
        filename = (request.view_args or {}).get("filename", "")
        current = versions.version(filename)
        hashed = current is not None and request.args.get("v") == current
        response.headers["Cache-Control"] = IMMUTABLE if hashed else REVALIDATE
        response.expires = None
        if response.status_code == 200 and response.is_streamed:
            # Read the (small) file now, so the compressor sends it whole with its length
            # instead of chunk by chunk.
            response.direct_passthrough = False
            response.make_sequence()
        return response

    def favicon() -> Response:
        response = send_from_directory(folder, "favicon.ico")
        response.headers["Cache-Control"] = "public, max-age=86400"
        return response

    app.url_defaults(hash_static_urls)
    # After-request hooks run last-registered first: this one must see the file before the
    # compressor (registered above) does.
    app.after_request(cache_static_files)
    app.add_url_rule("/favicon.ico", "favicon", favicon)
