"""The employee's walk in headless Chromium: an employee with an individual certificate joins
ООО «РОМАШКА», uploads an МЧД signed by the head (GOST) and becomes active without waiting for
the administrator. Screenshots in test-artifacts/walk-mchd-*.png."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from registry.pki.demo import ORGANIZATION, DemoPKI

from ..helpers import ROOT, VENV_BIN, free_port, stop, wait_for_port
from ..test_walk import Person, chromium  # noqa: F401  (fixture)
from .builder import build, sign

# РОМАШКА registered by its head, as the registration wizard leaves it.
SEED = """
import sys
from registry.demo import create_demo_app
from registry.extensions import db
from registry.pki.demo import ORGANIZATION
from tests.factories import make_person, register_organization
app = create_demo_app(sys.argv[1])
with app.app_context():
    register_organization(make_person("head"), ogrn=ORGANIZATION["ogrn"], inn=ORGANIZATION["inn"],
                          kpp=ORGANIZATION["kpp"], name=ORGANIZATION["name"],
                          full_name=ORGANIZATION["full_name"])
    db.session.commit()
"""


@pytest.fixture(scope="module")
def mchd_server(tmp_path_factory):
    directory = tmp_path_factory.mktemp("walk-mchd")
    registry = str(VENV_BIN / "registry")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    subprocess.run([registry, "demo", "setup", "--dir", str(directory)], cwd=ROOT, check=True,
                   capture_output=True, timeout=300, env=env)
    subprocess.run([sys.executable, "-c", SEED, str(directory)], cwd=ROOT, check=True,
                   capture_output=True, timeout=120, env=env)
    port = free_port()
    log = directory / "serve.log"
    proc = subprocess.Popen([registry, "demo", "serve", "--dir", str(directory), "--port", str(port)],
                            cwd=ROOT, stdout=log.open("wb"), stderr=subprocess.STDOUT, env=env)
    try:
        wait_for_port(port, proc=proc, log=log)
        yield f"https://localhost:{port}", directory / "pki"
    finally:
        stop(proc)


def test_employee_uploads_an_mchd_and_becomes_active(mchd_server, chromium, tmp_path):  # noqa: F811
    url, pki_dir = mchd_server
    pki = DemoPKI(pki_dir)
    employee = Person(chromium, url, pki_dir / "people" / "employee1-ecdsa.p12", "mchd-employee")
    xml, name = build()
    xml_path, sig_path = tmp_path / f"{name}.xml", tmp_path / f"{name}.xml.sig"
    xml_path.write_bytes(xml)
    sig_path.write_bytes(sign(xml, pki.person("head", "gost256")))
    renamed = tmp_path / "доверенность.xml"
    renamed.write_bytes(xml)
    try:
        e = employee.page
        employee.go("/", "home")
        employee.menu("Присоединиться", "join")
        e.get_by_label("ИНН, ОГРН или ОГРНИП организации").fill(ORGANIZATION["inn"])
        employee.click("button", "Найти", "join-found")
        e.get_by_label("Должность").fill("Специалист по учёту")
        employee.click("button", "Сохранить", "joined")

        employee.menu("Доверенности", "mchd")
        e.get_by_label("Файл доверенности (XML)").set_input_files(str(renamed))
        e.get_by_label("Файл подписи (.sig)").set_input_files(str(sig_path))
        employee.click("button", "Проверить и загрузить", "mchd-refused")
        assert e.get_by_text("не совпадает с идентификатором файла").first.is_visible()
        assert e.get_by_text("не пройдена").first.is_visible()

        e.get_by_label("Файл доверенности (XML)").set_input_files(str(xml_path))
        e.get_by_label("Файл подписи (.sig)").set_input_files(str(sig_path))
        employee.click("button", "Проверить и загрузить", "mchd-accepted")
        assert e.get_by_text("принята. Назначены роли").is_visible()
        assert e.get_by_text("Статус: «Активный»").first.is_visible()
        assert e.get_by_text("Руководитель по ЕГРЮЛ.").is_visible()

        employee.menu("Моя организация", "organization")
        assert e.get_by_role("link", name="Документы организации").first.is_visible()
        assert employee.problems == []
    finally:
        employee.context.close()
