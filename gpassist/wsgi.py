"""The production app for gunicorn: ``gunicorn -w 1 -k gevent 'gpassist.wsgi:production_app()'``.

Importable from an installed wheel (the repository's ``wsgi.py`` only calls this). gunicorn's gevent
worker needs Flask-SocketIO in gevent mode, so that is the default here;
``GPASSIST_SOCKETIO_ASYNC_MODE`` still overrides it. Nothing happens at import: gunicorn calls the
factory once per worker.
"""

from __future__ import annotations

from flask import Flask

from gpassist import create_app
from gpassist.config import set_in_environment


def production_overrides() -> dict[str, str]:
    """gevent as the Socket.IO async mode, unless ``GPASSIST_SOCKETIO_ASYNC_MODE`` names another."""
    return {} if set_in_environment("SOCKETIO_ASYNC_MODE") else {"SOCKETIO_ASYNC_MODE": "gevent"}


def production_app() -> Flask:
    """The app as gunicorn's gevent worker needs it."""
    return create_app(production_overrides())
