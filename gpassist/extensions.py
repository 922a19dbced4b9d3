"""Extension objects created once and bound to an app with ``init_app``."""

from __future__ import annotations

from flask_socketio import SocketIO

socketio = SocketIO()
