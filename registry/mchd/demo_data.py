"""Demo data: an МЧД of ООО «РОМАШКА» for the demo employee (Сидорова), signed by the demo
head's GOST key with `openssl cms -engine gost`, to try «Доверенности (МЧД)» in the demo."""

from __future__ import annotations

import os
import subprocess
import uuid
import zipfile
from datetime import timedelta

from lxml import etree

from ..config import PROJECT_ROOT
from ..core import clock
from ..core.demo_steps import DemoContext, demo_step
from .document import NS_003

OPENSSL_CONF = PROJECT_ROOT / "deploy" / "nginx" / "openssl-gost.cnf"


def demo_xml(number: str, file_id: str) -> bytes:
    """A format 003 МЧД by the official schema: the demo head gives the demo employee the two
    ДМДК powers for a year."""
    from ..pki.demo_pki import ORGANIZATION, PEOPLE

    def el(parent, tag: str, **attrs):
        return etree.SubElement(parent, f"{{{NS_003}}}{tag}", attrs)

    def person(parent, tag: str, key: str, position: str) -> None:
        p = PEOPLE[key]
        given, _, patronymic = p["given"].partition(" ")
        s = p["snils"]
        holder = el(parent, tag, ИННФЛ=p["inn"], СНИЛС=f"{s[:3]}-{s[3:6]}-{s[6:9]} {s[9:]}",
                    Должность=position)
        el(el(holder, "СведФЛ"), "ФИО", Фамилия=p["surname"], Имя=given, Отчество=patronymic)

    today = clock.today()
    root = etree.Element(f"{{{NS_003}}}Доверенность", nsmap={None: NS_003})
    root.attrib.update({"ВерсФорм": "EMCHD_1", "ПрЭлФорм": "00000000", "ИдФайл": file_id})
    body = el(el(root, "Документ", КНД="1110027"), "Довер")
    info = el(body, "СвДов", ВидДовер="1", ПрПередов="1", ВнНомДовер="ДМДК-1", НомДовер=number,
              ДатаВыдДовер=today.isoformat(), СрокДейст=(today + timedelta(days=365)).isoformat())
    el(info, "СведСист").text = f"https://m4d.nalog.gov.ru/emchd/check-status?guid={number}"
    company = el(el(el(body, "СвДоверит", ТипДоверит="1"), "Доверит"), "РосОргДовер",
                 ЕИОУК="0", ЕИОФЛ="1", ЕИОИП="0")
    el(company, "СвРосОрг", НаимОрг=ORGANIZATION["full_name"], ИННЮЛ=ORGANIZATION["inn"],
       КПП=ORGANIZATION["kpp"], ОГРН=ORGANIZATION["ogrn"])
    person(el(company, "ЛицоБезДов", ПолнЮЛ="1"), "СвФЛ", "head", "Генеральный директор")
    person(el(el(body, "СвУпПред", ТипПред="3"), "Пред"), "СведФизЛ", "employee1", "Менеджер")
    powers = el(body, "СвПолн", ТипПолн="0", ПрСовмПолн="1")
    for code, name in (("DMDK_APPLICATIONS", "Работа с заявлениями в ГИИС ДМДК"),
                       ("DMDK_PARTICIPANT", "Действия участника ДМДК")):
        el(powers, "МашПолн", КодПолн=code, НаимПолн=name)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


@demo_step(order=60)
def mchd_files(ctx: DemoContext) -> None:
    """Write DIR/mchd/<ИдФайл>.xml and its .sig (once; kept on later runs)."""
    from ..pki.demo_pki import ORGANIZATION, DemoPKI

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
    package = xml_path.with_suffix(".zip")  # as the registry of powers of attorney hands it out
    with zipfile.ZipFile(package, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(xml_path, xml_path.name)
        archive.write(str(xml_path) + ".sig", xml_path.name + ".sig")
    ctx.echo(f"  МЧД for employee1 (upload it in «Доверенности (МЧД)»): {xml_path} + .sig, or {package}")
