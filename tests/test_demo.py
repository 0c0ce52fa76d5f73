"""`registry demo setup`: migrations, demo PKI, extensible and repeatable steps."""

from __future__ import annotations

import shutil

from sqlalchemy import inspect

from registry import demo
from registry.core import demo_steps
from registry.extensions import db


def test_setup_runs_registered_steps_and_can_run_again(tmp_path, demo_pki, monkeypatch):
    # Reuse the session's demo PKI (build_demo_pki reuses an existing directory).
    shutil.copytree(demo_pki.root, tmp_path / "pki")
    seen = []
    monkeypatch.setitem(demo_steps._STEPS, "organizations", demo_steps.DemoStep(
        100, "organizations", lambda ctx: seen.append((ctx.pki.trust_dir, ctx.directory))))

    for _ in range(2):
        ctx = demo.setup(tmp_path, echo=lambda line: None)
    names = [s.name for s in demo_steps.steps()]
    assert names[:2] == ["database", "pki"]
    assert names.index("organizations") > names.index("reference_data")  # by order, then name
    assert seen == [(tmp_path / "pki" / "trust", tmp_path)] * 2
    with ctx.app.app_context():
        tables = set(inspect(db.engine).get_table_names())
        assert {"users", "user_certificates", "visit_journal", "alembic_version"} <= tables
        db.engine.dispose()


def test_instructions_name_the_pkcs12_files_and_password(tmp_path, demo_pki):
    shutil.copytree(demo_pki.root, tmp_path / "pki")
    text = demo.instructions(tmp_path, "https://localhost:8443")
    assert "https://localhost:8443" in text
    assert str(tmp_path / "pki" / "people" / "head-ecdsa.p12") in text
    assert "password: demo" in text


def test_instructions_name_the_revoked_certificate_the_operator_command_and_the_port(tmp_path, demo_pki):
    shutil.copytree(demo_pki.root, tmp_path / "pki")
    text = demo.instructions(tmp_path, "https://localhost:8443")
    assert str(tmp_path / "pki" / "people" / "employee2-ecdsa.p12") in text and "REVOKED" in text
    assert f"registry operator --dir {tmp_path} grant 334-455-667 84" in text
    assert "PORT=" in text


def test_make_demo_passes_the_port():
    import subprocess
    from pathlib import Path
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run(["make", "-n", "demo", "PORT=9443"], cwd=root, capture_output=True,
                         text=True, timeout=60).stdout
    assert "demo serve --dir instance/demo --port 9443" in out


def test_the_okved_file_is_found_above_a_deeper_checkout_or_the_way_to_load_it_is_told(tmp_path, monkeypatch):
    from registry.refdata import demo_data as refdata_demo

    monkeypatch.delenv("REGISTRY_OKVED_FILE", raising=False)
    checkout = tmp_path / "work" / "wt" / "branch"  # a worktree: ../shared is not beside it
    checkout.mkdir(parents=True)
    monkeypatch.setattr(refdata_demo, "PROJECT_ROOT", checkout)
    assert refdata_demo.okved_file() is None
    said: list[str] = []
    ctx = type("Ctx", (), {"echo": staticmethod(said.append), "directory": tmp_path})()
    monkeypatch.setattr("registry.refdata.egrul.import_egrul", lambda paths: type(
        "Report", (), {"summary": lambda self: "—"})())
    monkeypatch.setattr("registry.refdata.egrul_xml.write_extract", lambda *a, **k: None)
    refdata_demo.reference_data(ctx)  # the demo step (the ЕГРЮЛ part stubbed out)
    assert "OKVED2 not loaded" in said[0] and "registry refdata import-okved FILE" in said[0]
    assert "REGISTRY_OKVED_FILE" in said[0]

    official = tmp_path / "work" / "shared" / "data" / "okved2" / "data-20231201.csv"
    official.parent.mkdir(parents=True)
    official.write_bytes(b"")
    assert refdata_demo.okved_file() == official


def test_setup_writes_a_list_signed_by_the_demo_ministry_that_import_tsl_accepts(tmp_path, demo_pki):
    from registry import create_app
    from registry.trust import import_tsl

    shutil.copytree(demo_pki.root, tmp_path / "pki")
    ctx = demo.setup(tmp_path, echo=lambda line: None)
    with ctx.app.app_context():
        db.engine.dispose()
    listed = tmp_path / "pki" / "tsl" / demo.DEMO_TSL
    assert listed.exists() and b"SignatureValue" in listed.read_bytes()
    config = {**demo.demo_config(tmp_path), "REGISTRY_TRUST_STORE": str(tmp_path / "imported"),
              "REGISTRY_TRUST_HEAD_ROOTS": str(tmp_path / "pki" / "trust")}
    result = import_tsl(create_app(config), listed)
    assert result.cas == len(demo_pki.manifest["algorithms"]) and "Минцифры" in result.signer


def test_setup_leaves_the_demo_organizations_application_in_the_operators_queue(tmp_path, demo_pki):
    from sqlalchemy import func, select

    from registry.documents.models import Application
    from registry.organizations.models import Organization
    from registry.pki.demo_pki import ORGANIZATION
    from registry.register.models import Review

    shutil.copytree(demo_pki.root, tmp_path / "pki")
    said: list[str] = []
    for _ in range(2):  # a second run changes nothing
        ctx = demo.setup(tmp_path, echo=said.append)
    assert any("submitted to the operator" in line for line in said), said
    with ctx.app.app_context():
        organization = db.session.scalar(select(Organization).where(Organization.ogrn == ORGANIZATION["ogrn"]))
        assert organization is not None and organization.registered_by.full_name == "Иванов Иван Иванович"
        application = db.session.scalar(select(Application).where(Application.organization_id == organization.id))
        assert application.status == Application.SUBMITTED and application.check["valid"]
        assert db.session.scalar(select(func.count()).select_from(Application)) == 1
        reviews = db.session.scalars(select(Review)).all()
        assert [(r.application_id, r.status) for r in reviews] == [(application.id, Review.SUBMITTED)]
        db.engine.dispose()


def test_setup_without_the_organization_leaves_it_for_the_wizard(tmp_path, demo_pki):
    from sqlalchemy import func, select

    from registry.organizations.models import Organization

    shutil.copytree(demo_pki.root, tmp_path / "pki")
    ctx = demo.setup(tmp_path, echo=lambda line: None, without_organization=True)
    with ctx.app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Organization)) == 0
        db.engine.dispose()
