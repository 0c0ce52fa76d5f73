"""`registry mchd verify XML SIG [--at] [--json]`: exit 0 valid, 1 not valid, 2 bad input."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from registry.core import clock
from registry.extensions import db
from registry.pki.demo_pki import ORGANIZATION, PEOPLE

from ..factories import make_egrul_record
from .builder import build, sign

HEAD = {"kind": "person", "surname": "Иванов", "given": "Иван", "patronymic": "Иванович",
        "inn": PEOPLE["head"]["inn"]}


@pytest.fixture
def run(app, db_session, tmp_path):
    with app.app_context():
        make_egrul_record(ogrn=ORGANIZATION["ogrn"], inn=ORGANIZATION["inn"], head=HEAD)
        db.session.commit()

    def invoke(xml: bytes, sig: bytes, *args, name: str = "mchd.xml"):
        (tmp_path / name).write_bytes(xml)
        (tmp_path / "mchd.sig").write_bytes(sig)
        return app.test_cli_runner().invoke(args=["mchd", "verify", str(tmp_path / name),
                                                  str(tmp_path / "mchd.sig"), *args])
    return invoke


def test_valid_json(run, head):
    xml, name = build()
    result = run(xml, sign(xml, head), "--json", name=name + ".xml")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["valid"] is True and data["code"] == "ok"
    assert data["message"] == "Доверенность действительна."
    assert data["principal"]["ogrn"] == ORGANIZATION["ogrn"]
    assert data["representative"]["full_name"] == "Сидорова Анна Сергеевна"
    assert data["powers"][0]["code"] == "DMDK_APPLICATIONS"
    assert data["valid_to"] == (clock.today() + timedelta(days=365)).isoformat()


def test_text_output_lists_each_check(run, head):
    xml, name = build("002")
    result = run(xml, sign(xml, head), name=name + ".xml")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("ДЕЙСТВИТЕЛЬНА [ok]")
    assert "✓ Руководитель по ЕГРЮЛ" in result.output


def test_wrong_file_name_is_not_valid(run, head):
    xml, _ = build()
    result = run(xml, sign(xml, head), "--json")
    assert result.exit_code == 1
    assert json.loads(result.output)["code"] == "file_name_mismatch"
    assert run(xml, sign(xml, head), "--no-file-name").exit_code == 0


def test_at_judges_as_of_that_moment(run, head):
    xml, name = build(until=clock.today() + timedelta(days=5))
    later = (clock.today() + timedelta(days=10)).isoformat() + "T12:00:00+03:00"
    result = run(xml, sign(xml, head), "--json", "--at", later, name=name + ".xml")
    assert result.exit_code == 1 and json.loads(result.output)["code"] == "expired"


def test_representative_option(run, head):
    xml, name = build()
    sig = sign(xml, head)
    assert run(xml, sig, "--representative", PEOPLE["employee1"]["snils"], name=name + ".xml").exit_code == 0
    result = run(xml, sig, "--json", "--representative", PEOPLE["employee2"]["snils"], name=name + ".xml")
    assert result.exit_code == 1 and json.loads(result.output)["code"] == "representative_mismatch"


def test_redelegation_with_the_parent_given(run, head, employee, tmp_path):
    parent_xml, _ = build()
    from registry.mchd.document import read
    number = read(parent_xml).number
    child, name = build(signatory=None, delegator="employee1", representative="ip", parent=number,
                        powers=[("DMDK_APPLICATIONS", "Заявления")], until=clock.today() + timedelta(days=30))
    (tmp_path / "parent.xml").write_bytes(parent_xml)
    (tmp_path / "parent.sig").write_bytes(sign(parent_xml, head))
    sig = sign(child, employee)
    assert run(child, sig, "--json", name=name + ".xml").exit_code == 1
    result = run(child, sig, "--json", "--parent", str(tmp_path / "parent.xml"),
                 str(tmp_path / "parent.sig"), name=name + ".xml")
    assert result.exit_code == 0, result.output


def test_usage_errors_and_unreadable_input_exit_2(run, head, app, tmp_path):
    xml, name = build()
    assert run(xml, sign(xml, head), "--at", "вчера", name=name + ".xml").exit_code == 2
    assert run(b"not xml at all", b"", "--json", name=name + ".xml").exit_code == 2
    assert run(xml, b"garbage", "--json", name=name + ".xml").exit_code == 2
    missing = app.test_cli_runner().invoke(args=["mchd", "verify", str(tmp_path / "none.xml"),
                                                 str(tmp_path / "none.sig")])
    assert missing.exit_code == 2 and "не удалось прочитать" in missing.output
    assert run(xml, sign(xml, head), "--representative", "123", name=name + ".xml").exit_code == 2


def test_hostile_xml_is_not_valid(run):
    bomb = '<?xml version="1.0"?><!DOCTYPE a [<!ENTITY a "a">]><Доверенность/>'.encode()
    result = run(bomb, b"", "--json")
    assert result.exit_code == 1 and json.loads(result.output)["code"] == "xml_forbidden_construct"


def test_trust_option(run, head, demo_pki, tmp_path):
    xml, name = build()
    sig = sign(xml, head)
    ok = run(xml, sig, "--trust", str(demo_pki.trust_dir), name=name + ".xml")
    assert ok.exit_code == 0, ok.output
    empty = tmp_path / "empty-trust"
    empty.mkdir()
    refused = run(xml, sig, "--json", "--trust", str(empty), name=name + ".xml")
    assert refused.exit_code == 1 and json.loads(refused.output)["code"] == "signer_certificate_invalid"


def test_json_lists_every_power_and_the_head(run, head):
    xml, name = build(text="Получать уведомления Пробирной палаты")
    result = run(xml, sign(xml, head), "--json", name=name + ".xml")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [(p["code"], p["name"]) for p in data["powers"]] == [
        (None, "Получать уведомления Пробирной палаты"),
        ("DMDK_APPLICATIONS", "Работа с заявлениями в ГИИС ДМДК"), ("DMDK_PARTICIPANT", "Действия участника ДМДК")]
    assert data["head"]["full_name"] == "Иванов Иван Иванович" and data["head"]["position"] == "Генеральный директор"
    assert data["format"] == "003" and data["signing_time_proven"] is False
    assert [c["name"] for c in data["checks"] if c["warning"]] == ["time"]


def test_a_zip_package_or_an_attached_signature_needs_no_sig(app, db_session, tmp_path, run, head):
    import io
    import zipfile

    xml, name = build()
    package = io.BytesIO()
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr(f"{name}.xml", xml)
        archive.writestr(f"{name}.xml.sig", sign(xml, head))
    (tmp_path / "mchd.zip").write_bytes(package.getvalue())
    (tmp_path / f"{name}.xml.sig").write_bytes(sign(xml, head, attached=True))
    for path in (tmp_path / "mchd.zip", tmp_path / f"{name}.xml.sig"):
        result = app.test_cli_runner().invoke(args=["mchd", "verify", str(path)])
        assert result.exit_code == 0, result.output
        assert "• Работа с заявлениями в ГИИС ДМДК (код DMDK_APPLICATIONS)" in result.output
    result = app.test_cli_runner().invoke(args=["mchd", "verify", str(tmp_path / "mchd.zip"), "--json"])
    assert json.loads(result.output)["valid"] is True
