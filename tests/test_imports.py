"""The certificate core and the identifier checks load without the web stack."""

from __future__ import annotations

import subprocess
import sys


def test_pki_does_not_load_flask_or_sqlalchemy():
    code = ("import registry.pki, registry.identifiers, sys; "
            "heavy = ('flask', 'sqlalchemy', 'flask_sqlalchemy'); "
            "loaded = [m for m in heavy if m in sys.modules]; "
            "assert not loaded, loaded")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def test_create_app_is_still_importable_from_the_package():
    code = ("import sys, registry; assert 'flask' not in sys.modules; "
            "from registry import create_app, MIGRATIONS_DIR; "
            "import registry.app as module; assert create_app is module.create_app; "
            "assert MIGRATIONS_DIR.name == 'migrations'")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
