"""The nginx -> gunicorn -> application stack, shared by every test of this folder."""

from .test_nginx import nginx_stack  # noqa: F401  (fixture)
