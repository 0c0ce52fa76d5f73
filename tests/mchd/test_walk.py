"""The employee's walk in headless Chromium: an employee with an individual certificate joins
ООО «РОМАШКА», uploads the МЧД the demo wrote (signed by the head's GOST key) and becomes active
without waiting for the administrator. Screenshots in test-artifacts/walk-mchd-*.png."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from registry.pki.demo_pki import ORGANIZATION

from ..helpers import ROOT, VENV_BIN, free_port, stop, wait_for_port
from ..test_walk import Person, chromium  # noqa: F401  (fixture)

# РОМАШКА registered by its head, as the registration wizard leaves it.
SEED = """
import sys
from registry.demo import create_demo_app
from registry.extensions import db
from registry.pki.demo_pki import ORGANIZATION
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
    subprocess.run([registry, "demo", "setup", "--dir", str(directory), "--without-organization"], cwd=ROOT,
                   check=True,
                   capture_output=True, timeout=300, env=env)
    subprocess.run([sys.executable, "-c", SEED, str(directory)], cwd=ROOT, check=True,
                   capture_output=True, timeout=120, env=env)
    port = free_port()
    log = directory / "serve.log"
    proc = subprocess.Popen([registry, "demo", "serve", "--dir", str(directory), "--port", str(port)],
                            cwd=ROOT, stdout=log.open("wb"), stderr=subprocess.STDOUT, env=env)
    try:
        wait_for_port(port, proc=proc, log=log)
        yield f"https://localhost:{port}", directory
    finally:
        stop(proc)


def test_employee_uploads_an_mchd_and_becomes_active(mchd_server, chromium, tmp_path):  # noqa: F811
    url, directory = mchd_server
    employee = Person(chromium, url, directory / "pki" / "people" / "employee1-ecdsa.p12",
                      "mchd-employee")
    # The МЧД the demo wrote for employee1 (signed by the demo head's GOST key).
    [xml_path] = (directory / "mchd").glob("*.xml")
    sig_path = xml_path.with_name(xml_path.name + ".sig")
    renamed = tmp_path / "доверенность.xml"
    renamed.write_bytes(xml_path.read_bytes())
    try:
        e = employee.page
        employee.go("/", "home")
        employee.menu("Присоединиться", "join")
        e.get_by_label("ИНН, ОГРН или ОГРНИП организации").fill(ORGANIZATION["inn"])
        employee.click("button", "Найти", "join-found")
        e.get_by_label("Должность").fill("Специалист по учёту")
        employee.click("button", "Присоединиться", "joined")

        employee.menu("Доверенности", "mchd")
        e.get_by_label("Файл доверенности (XML или архив ZIP)").set_input_files(str(renamed))
        e.get_by_label("Файл подписи (.sig)").set_input_files(str(sig_path))
        employee.click("button", "Проверить и загрузить", "mchd-refused")
        assert e.get_by_text("не совпадает с идентификатором файла").first.is_visible()
        assert e.get_by_text("не пройдена").first.is_visible()

        # The package as the registry hands it out (the demo wrote it): no separate signature.
        e.get_by_label("Файл доверенности (XML или архив ZIP)").set_input_files(str(xml_path.with_suffix(".zip")))
        employee.click("button", "Проверить и загрузить", "mchd-accepted")
        assert e.get_by_text("принята. Назначены роли").is_visible()
        assert e.get_by_text("Статус: «Активный»").first.is_visible()
        assert e.get_by_text("Руководитель по ЕГРЮЛ.").is_visible()
        assert e.get_by_text("пройдена с оговоркой").is_visible()  # the time is not time-stamped
        assert e.get_by_text("соответствует официальной схеме ФНС").is_visible()

        employee.menu("Моя организация", "organization")
        assert e.get_by_role("link", name="Документы организации").first.is_visible()
        assert employee.problems == []
    finally:
        employee.context.close()
