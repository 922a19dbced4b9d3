"""The production app for gunicorn: ``gunicorn -w 1 -k gevent 'gpassist.wsgi:production_app()'``.

Importable from an installed wheel (the repository's ``wsgi.py`` only calls this). gunicorn's gevent
worker needs Flask-SocketIO in gevent mode, so that is the default here;
``GPASSIST_SOCKETIO_ASYNC_MODE`` still overrides it. Nothing happens at import: gunicorn calls the
factory once per worker.
"""

from __future__ import annotations

import os

from flask import Flask

from gpassist import create_app
from gpassist.config import ENV_PREFIX


def production_app() -> Flask:
    """The app with gevent as the Socket.IO async mode unless the environment names another."""
    chosen = f"{ENV_PREFIX}SOCKETIO_ASYNC_MODE" in os.environ
    return create_app({} if chosen else {"SOCKETIO_ASYNC_MODE": "gevent"})
