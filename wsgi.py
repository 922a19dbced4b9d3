"""Production entry point: ``gunicorn -w 1 -k gevent wsgi:app``.

gunicorn's gevent worker needs Flask-SocketIO in gevent mode, so that is this entry point's
default; GPASSIST_SOCKETIO_ASYNC_MODE still overrides it.
"""

import os

from gpassist import create_app

_defaults = (
    {} if "GPASSIST_SOCKETIO_ASYNC_MODE" in os.environ else {"SOCKETIO_ASYNC_MODE": "gevent"}
)
app = create_app(_defaults)
