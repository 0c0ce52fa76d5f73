"""`registry operator` as the README writes it, on the instance `make demo` creates."""

from __future__ import annotations

import pytest

from registry.pki.demo_pki import PEOPLE

from ..helpers import run_registry as run


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory, copy_demo):
    """A demo instance (`registry demo setup`, copied) where employee1 has signed in once."""
    directory = copy_demo(tmp_path_factory.mktemp("operator-demo") / "demo")
    from registry import demo
    from registry.auth.models import User
    from registry.extensions import db
    app = demo.create_demo_app(directory)
    with app.app_context():
        p = PEOPLE["employee1"]
        db.session.add(User(full_name=f"{p['surname']} {p['given']}", snils=p["snils"]))
        db.session.commit()
        db.engine.dispose()
    return directory


def test_grant_unquoted_snils_with_spaces_and_dashes(demo_dir):
    snils = PEOPLE["employee1"]["snils"]
    spaced = f"{snils[:3]}-{snils[3:6]}-{snils[6:9]} {snils[9:]}"
    r = run("operator", "--dir", str(demo_dir), "grant", *spaced.split(" "))
    assert r.returncode == 0, r.stderr
    assert "Сидорова Анна Сергеевна" in r.stdout and "назначена оператором реестра" in r.stdout
    r = run("operator", "--dir", str(demo_dir), "revoke", snils)  # bare digits
    assert r.returncode == 0 and "больше не оператор" in r.stdout
    r = run("operator", "--dir", str(demo_dir), "grant", f"{snils[:3]} {snils[3:6]} {snils[6:9]} {snils[9:]}")
    assert r.returncode == 0, r.stderr
    r = run("operator", "list", REGISTRY_DEMO_DIR=str(demo_dir))
    assert "Сидорова Анна Сергеевна" in r.stdout


def test_the_demo_instance_is_found_from_the_project_directory(demo_dir, tmp_path):
    (tmp_path / "instance").mkdir()
    (tmp_path / "instance" / "demo").symlink_to(demo_dir)
    r = run("operator", "list", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "Сидорова Анна Сергеевна" in r.stdout or "Операторов нет" in r.stdout


def test_missing_database_or_table_is_a_message_not_a_traceback(tmp_path):
    r = run("operator", "list", cwd=tmp_path, REGISTRY_INSTANCE_PATH=str(tmp_path / "empty"))
    assert r.returncode == 1
    assert "Traceback" not in r.stderr and "База данных не готова" in r.stderr
    assert "registry db upgrade" in r.stderr
    r = run("operator", "--dir", str(tmp_path / "nothing"), "grant", "334-455-667", "84", cwd=tmp_path)
    assert r.returncode == 1 and "Traceback" not in r.stderr and "make demo" in r.stderr
    r = run("operator", "grant", cwd=tmp_path, REGISTRY_INSTANCE_PATH=str(tmp_path / "empty"))
    assert r.returncode == 2 and "Укажите СНИЛС" in r.stderr
