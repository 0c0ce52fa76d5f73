"""WSGI entry point for gunicorn: ``gunicorn -c deploy/gunicorn.conf.py wsgi:app``."""

from registry import create_app

app = create_app()
