"""The demo's МЧД: written by `registry demo setup`, valid for the demo employee."""

from __future__ import annotations

from registry.core.demo_steps import DemoContext
from registry.mchd import verify as V
from registry.mchd.demo_data import mchd_files
from registry.pki.demo_pki import PEOPLE


def test_demo_mchd_is_valid_for_the_demo_employee(app, demo_pki, tmp_path, context):
    (tmp_path / "pki").symlink_to(demo_pki.root)
    lines = []
    with app.app_context():
        mchd_files(DemoContext(app=app, directory=tmp_path, echo=lines.append))
    [xml_path] = (tmp_path / "mchd").glob("*.xml")
    sig = xml_path.with_name(xml_path.name + ".sig").read_bytes()
    employee = type("Who", (), {"snils": PEOPLE["employee1"]["snils"], "inn": None})()
    result = V.verify(xml_path.read_bytes(), sig, file_name=xml_path.name, representative=employee,
                      context=context())
    assert result.valid, result.message
    assert "upload it" in lines[-1]
    with app.app_context():  # a second run keeps the files
        mchd_files(DemoContext(app=app, directory=tmp_path, echo=lines.append))
    assert list((tmp_path / "mchd").glob("*.xml")) == [xml_path]
