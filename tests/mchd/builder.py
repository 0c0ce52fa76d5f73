"""МЧД XML files in formats 003 (EMCHD_1) and 002, and their detached GOST signatures made by
`openssl cms -sign -engine gost` (Debian's libengine-gost-openssl)."""

from __future__ import annotations

import os
import subprocess
import tempfile
import uuid
from datetime import date, timedelta
from pathlib import Path

from lxml import etree

from registry.pki.demo import ORGANIZATION, PEOPLE

from ..helpers import ROOT

NS = "urn://x-artefacts/EMCHD_1"
OPENSSL_CONF = ROOT / "deploy" / "nginx" / "openssl-gost.cnf"
DEFAULT_POWERS = [("DMDK_APPLICATIONS", "Работа с заявлениями в ГИИС ДМДК"),
                  ("DMDK_PARTICIPANT", "Действия участника ДМДК")]


def person(name: str) -> dict:
    """A demo PKI person as the document names them."""
    p = PEOPLE[name]
    given, _, patronymic = p["given"].partition(" ")
    snils = p["snils"]
    return {"surname": p["surname"], "given": given, "patronymic": patronymic or None,
            "inn": p["inn"], "snils": f"{snils[:3]}-{snils[3:6]}-{snils[6:9]} {snils[9:]}"}


def principal(**fields) -> dict:
    values = {"name": ORGANIZATION["full_name"], "inn": ORGANIZATION["inn"],
              "kpp": ORGANIZATION["kpp"], "ogrn": ORGANIZATION["ogrn"]}
    values.update(fields)
    return values


def file_id(number: str) -> str:
    return f"ON_EMCHD_{ORGANIZATION['inn']}_{date.today():%Y%m%d}_{number}"


def build(fmt: str = "003", *, number: str | None = None, name: str | None = None,
          issued: date | None = None, until: date | None = None, redelegation: str = "2",
          org: dict | None = None, signatory: dict | str | None = "head",
          delegator: dict | str | None = None, representative: dict | str = "employee1",
          powers: list[tuple[str, str]] | str | None = None, parent: str | None = None,
          first: str | None = None, drop: str | None = None) -> tuple[bytes, str]:
    """(XML bytes, file id) of an МЧД; ``drop`` removes an element by its local name (schema
    violations)."""
    number = number or str(uuid.uuid4())
    name = name or file_id(number)
    today = date.today()
    issued = issued or today - timedelta(days=1)
    until = until or today + timedelta(days=365)
    org = org or principal()
    powers = DEFAULT_POWERS if powers is None else powers
    people = {k: person(v) if isinstance(v, str) else v
              for k, v in (("signatory", signatory), ("delegator", delegator),
                           ("representative", representative)) if v is not None}
    q = (lambda tag: f"{{{NS}}}{tag}") if fmt == "003" else (lambda tag: tag)
    E = etree.SubElement
    root = etree.Element(q("Доверенность"), nsmap={None: NS} if fmt == "003" else None)
    root.set("ВерсФорм", "EMCHD_1" if fmt == "003" else "002")
    root.set("ИдФайл", name)
    doc = E(root, q("Документ"))
    body = E(doc, q("Довер")) if fmt == "003" else doc
    info = E(body, q("СвДов"), ПрПередов=redelegation, НомДовер=number,
             ДатаВыдДовер=issued.isoformat())
    info.set("СрокДейст" if fmt == "003" else "ДатаКонДовер", until.isoformat())
    if parent:
        E(info, q("СвПереДов"), НомДоверРод=parent, НомДоверПерв=first or parent)

    def fl(parent_el, tag, who):
        el = E(parent_el, q(tag), СНИЛС=who["snils"])
        if who.get("inn"):
            el.set("ИННФЛ", who["inn"])
        fio = E(el, q("ФИО"), Фамилия=who["surname"], Имя=who["given"])
        if who.get("patronymic"):
            fio.set("Отчество", who["patronymic"])
        return el

    principal_el = E(body, q("СвДоверит"))
    attrs = {"НаимОрг": org["name"], "ИННЮЛ": org["inn"], "ОГРН": org["ogrn"]}
    if org.get("kpp"):
        attrs["КПП"] = org["kpp"]
    if fmt == "003":
        E(principal_el, q("СвРосОрг"), **attrs)
        tag = "ЛицоБезДов" if "signatory" in people else "ЛицоПередов"
        fl(E(principal_el, q(tag)), "СвФЛ", people.get("signatory") or people["delegator"])
        fl(E(body, q("СвУпПред")), "СведФизЛ", people["representative"])
    else:
        org_el = E(principal_el, q("РосОргДовер"), **attrs)
        tag = "ЛицоБезДов" if "signatory" in people else "ЛицоПередов"
        fl(org_el, tag, people.get("signatory") or people["delegator"])
        fl(E(body, q("СвУпПред")), "СвФизЛ", people["representative"])
    powers_el = E(body, q("СвПолн"))
    if isinstance(powers, str):
        E(powers_el, q("ТекстПолн")).text = powers
    else:
        for code, title in powers:
            E(powers_el, q("МашПолн"), КодПолн=code, НаимПолн=title)
    if drop:
        for el in root.iter(q(drop)):
            el.getparent().remove(el)
            break
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8"), name


def sign(data: bytes, demo_cert) -> bytes:
    """A detached CMS (DER) over exactly ``data`` by a GOST certificate and its key."""
    with tempfile.TemporaryDirectory() as tmp:
        content, out = Path(tmp, "mchd.xml"), Path(tmp, "mchd.sig")
        content.write_bytes(data)
        args = ["openssl", "cms", "-sign", "-engine", "gost", "-binary", "-in", str(content),
                "-signer", str(demo_cert.cert_path), "-inkey", str(demo_cert.key_path),
                "-md", "md_gost12_256", "-outform", "DER", "-out", str(out)]
        subprocess.run(args, check=True, capture_output=True, timeout=60,
                       env=dict(os.environ, OPENSSL_CONF=str(OPENSSL_CONF)))
        return out.read_bytes()
