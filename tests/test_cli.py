"""Every `registry` command uses the instance the server uses (REGISTRY_DEMO_DIR, the
environment, or instance/demo from the project directory) and answers a database that is
missing or has no tables with a message, creating nothing."""

from __future__ import annotations

import sqlite3

import pytest

from .helpers import run_registry as run


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory, copy_demo):
    return copy_demo(tmp_path_factory.mktemp("cli-demo") / "demo")


def test_jobs_list_follows_registry_demo_dir(demo_dir, tmp_path):
    r = run("jobs", "list", cwd=tmp_path, REGISTRY_DEMO_DIR=str(demo_dir))
    assert r.returncode == 0, r.stderr
    assert "queue: sqlite" in r.stdout and "periodic runs" in r.stdout
    assert not (tmp_path / "instance").exists()


def test_the_demo_instance_is_found_from_the_project_directory(demo_dir, tmp_path):
    (tmp_path / "instance").mkdir()
    (tmp_path / "instance" / "demo").symlink_to(demo_dir)
    r = run("jobs", "list", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "queue: sqlite" in r.stdout
    assert not (tmp_path / "instance" / "registry.db").exists()


def test_a_missing_database_is_said_and_not_created(tmp_path):
    instance = tmp_path / "instance"
    for args in (("jobs", "list"), ("files", "sweep")):
        r = run(*args, cwd=tmp_path, REGISTRY_INSTANCE_PATH=str(instance))
        assert r.returncode == 1, (r.stdout, r.stderr)
        assert "База данных не готова" in r.stderr and "файла базы нет" in r.stderr
        assert "Traceback" not in r.stderr
        assert not (instance / "registry.db").exists()
    r = run("jobs", "list", cwd=tmp_path, REGISTRY_DEMO_DIR=str(tmp_path / "nothing"))
    assert r.returncode == 1 and "нет демо-экземпляра" in r.stderr
    assert not (tmp_path / "nothing").exists()


def test_a_database_without_its_tables_is_said(tmp_path):
    path = tmp_path / "empty.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE unrelated (n INTEGER)")
    r = run("jobs", "list", cwd=tmp_path, DATABASE_URL=f"sqlite:///{path}")
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert "База данных не готова" in r.stderr and "no such table" in r.stderr
    assert "registry db upgrade" in r.stderr and "Traceback" not in r.stderr


def test_db_upgrade_still_creates_the_database(tmp_path):
    instance = tmp_path / "instance"
    r = run("db", "upgrade", cwd=tmp_path, REGISTRY_INSTANCE_PATH=str(instance))
    assert r.returncode == 0, r.stderr
    r = run("jobs", "list", cwd=tmp_path, REGISTRY_INSTANCE_PATH=str(instance))
    assert r.returncode == 0, r.stderr
