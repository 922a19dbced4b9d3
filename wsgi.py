"""Production entry point from a checkout: ``gunicorn -w 1 -k gevent wsgi:app``.

From an installed wheel: ``gunicorn -w 1 -k gevent 'gpassist.wsgi:production_app()'``.
"""

from gpassist.wsgi import production_app

app = production_app()
