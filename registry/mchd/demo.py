"""Demo data: an МЧД of ООО «РОМАШКА» for the demo employee (Сидорова), signed by the demo
head's GOST key with `openssl cms -engine gost`, to try «Доверенности (МЧД)» in the demo."""

from __future__ import annotations

import os
import subprocess
import uuid
from datetime import timedelta

from lxml import etree

from ..config import PROJECT_ROOT
from ..core import clock
from ..core.demo import DemoContext, demo_step
from .document import NS_003

OPENSSL_CONF = PROJECT_ROOT / "deploy" / "nginx" / "openssl-gost.cnf"


def demo_xml(number: str, file_id: str) -> bytes:
    """A format 003 МЧД: the demo head gives the demo employee the two ДМДК powers for a year."""
    from ..pki.demo import ORGANIZATION, PEOPLE

    def q(tag: str) -> str:
        return f"{{{NS_003}}}{tag}"

    def person(parent, tag: str, key: str) -> None:
        p = PEOPLE[key]
        given, _, patronymic = p["given"].partition(" ")
        s = p["snils"]
        el = etree.SubElement(parent, q(tag), СНИЛС=f"{s[:3]}-{s[3:6]}-{s[6:9]} {s[9:]}", ИННФЛ=p["inn"])
        etree.SubElement(el, q("ФИО"), Фамилия=p["surname"], Имя=given, Отчество=patronymic)

    today = clock.today()
    root = etree.Element(q("Доверенность"), nsmap={None: NS_003}, ВерсФорм="EMCHD_1", ИдФайл=file_id)
    body = etree.SubElement(etree.SubElement(root, q("Документ")), q("Довер"))
    etree.SubElement(body, q("СвДов"), ПрПередов="1", НомДовер=number, ДатаВыдДовер=today.isoformat(),
                     СрокДейст=(today + timedelta(days=365)).isoformat())
    principal = etree.SubElement(body, q("СвДоверит"))
    etree.SubElement(principal, q("СвРосОрг"), НаимОрг=ORGANIZATION["full_name"],
                     ИННЮЛ=ORGANIZATION["inn"], КПП=ORGANIZATION["kpp"], ОГРН=ORGANIZATION["ogrn"])
    person(etree.SubElement(principal, q("ЛицоБезДов")), "СвФЛ", "head")
    person(etree.SubElement(body, q("СвУпПред")), "СведФизЛ", "employee1")
    powers = etree.SubElement(body, q("СвПолн"))
    for code, name in (("DMDK_APPLICATIONS", "Работа с заявлениями в ГИИС ДМДК"),
                       ("DMDK_PARTICIPANT", "Действия участника ДМДК")):
        etree.SubElement(powers, q("МашПолн"), КодПолн=code, НаимПолн=name)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


@demo_step(order=60)
def mchd_files(ctx: DemoContext) -> None:
    """Write DIR/mchd/<ИдФайл>.xml and its .sig (once; kept on later runs)."""
    from ..pki.demo import ORGANIZATION, DemoPKI

    folder = ctx.directory / "mchd"
    if folder.exists() and any(folder.glob("*.xml.sig")):
        return
    number = str(uuid.uuid4())
    file_id = f"ON_EMCHD_{ORGANIZATION['inn']}_{clock.today():%Y%m%d}_{number}"
    folder.mkdir(parents=True, exist_ok=True)
    xml_path = folder / f"{file_id}.xml"
    xml_path.write_bytes(demo_xml(number, file_id))
    head = DemoPKI(ctx.directory / "pki").person("head", "gost256")
    args = ["openssl", "cms", "-sign", "-engine", "gost", "-binary", "-in", str(xml_path),
            "-signer", str(head.cert_path), "-inkey", str(head.key_path), "-md", "md_gost12_256",
            "-outform", "DER", "-out", str(xml_path) + ".sig"]
    try:
        subprocess.run(args, check=True, capture_output=True, timeout=60,
                       env=dict(os.environ, OPENSSL_CONF=str(OPENSSL_CONF)))
    except (OSError, subprocess.SubprocessError) as exc:
        ctx.echo(f"  МЧД: not signed (openssl with the GOST engine is needed: {exc})")
        return
    ctx.echo(f"  МЧД for employee1 (upload it in «Доверенности (МЧД)»): {xml_path} + .sig")
