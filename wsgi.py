"""Production entry point for gunicorn.

    GPASSIST_SOCKETIO_ASYNC_MODE=gevent gunicorn -w 1 -k gevent wsgi:app
"""

from gpassist import create_app

app = create_app()
