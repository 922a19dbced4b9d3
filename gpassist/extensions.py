"""Extension objects created once and bound to an app with ``init_app``.

``socketio`` is built in ``gpassist.realtime``, which picks its client manager (one process, or
several sharing a Redis message queue) on every ``init_app``.
"""

from __future__ import annotations

from gpassist.realtime import socketio

__all__ = ["socketio"]
