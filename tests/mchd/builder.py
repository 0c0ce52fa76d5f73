"""МЧД XML files as the ФНС registry issues them — format 003 by the official schema
(``ON_EMCHD_1_928_00_01_01_01.xsd``), format 002 by the structure issued files have — and their
detached GOST signatures made by `openssl cms -sign -engine gost` (Debian's
libengine-gost-openssl), as CryptoPro makes them."""

from __future__ import annotations

import os
import subprocess
import tempfile
import uuid
from datetime import date, timedelta
from pathlib import Path

from lxml import etree

from registry.core import clock
from registry.pki.demo_pki import ORGANIZATION, PEOPLE

from ..helpers import ROOT

NS = "urn://x-artefacts/EMCHD_1"
OPENSSL_CONF = ROOT / "deploy" / "nginx" / "openssl-gost.cnf"
DEFAULT_POWERS = [("DMDK_APPLICATIONS", "Работа с заявлениями в ГИИС ДМДК"),
                  ("DMDK_PARTICIPANT", "Действия участника ДМДК")]
STATUS_URL = "https://m4d.nalog.gov.ru/emchd/check-status?guid={number}"
MANAGER = {"name": "ООО «УПРАВЛЯЮЩАЯ КОМПАНИЯ «СЕВЕР»", "inn": "7707083893", "kpp": "770701001",
           "ogrn": "1027700132195"}


def person(name: str) -> dict:
    """A demo PKI person as the document names them."""
    p = PEOPLE[name]
    given, _, patronymic = p["given"].partition(" ")
    snils = p["snils"]
    return {"surname": p["surname"], "given": given, "patronymic": patronymic or None,
            "inn": p["inn"], "snils": f"{snils[:3]}-{snils[3:6]}-{snils[6:9]} {snils[9:]}",
            "position": "Генеральный директор" if name == "head" else "Менеджер"}


def principal(**fields) -> dict:
    values = {"name": ORGANIZATION["full_name"], "inn": ORGANIZATION["inn"],
              "kpp": ORGANIZATION["kpp"], "ogrn": ORGANIZATION["ogrn"]}
    values.update(fields)
    return values


def file_id(number: str, inn: str | None = None) -> str:
    return f"ON_EMCHD_{inn or ORGANIZATION['inn']}_{clock.today():%Y%m%d}_{number}"


class _Xml:
    """Elements in the format's namespace (003) or without one (002)."""

    def __init__(self, fmt: str):
        self.fmt = fmt

    def q(self, tag: str) -> str:
        return f"{{{NS}}}{tag}" if self.fmt == "003" else tag

    def el(self, parent, tag: str, **attrs):
        return etree.SubElement(parent, self.q(tag), {k: v for k, v in attrs.items() if v is not None})

    def fio(self, parent, who: dict, wrap: bool = True):
        holder = self.el(parent, "СведФЛ") if wrap else parent
        self.el(holder, "ФИО", Фамилия=who["surname"], Имя=who["given"], Отчество=who.get("patronymic"))

    def fl(self, parent, tag: str, who: dict, position: bool = False, wrap: bool = True):
        """A person of type СвФЛТип (ИННФЛ, СНИЛС, Должность, СведФЛ/ФИО)."""
        el = self.el(parent, tag, ИННФЛ=who.get("inn"), СНИЛС=snils(who["snils"]),
                     Должность=who.get("position") if position else None)
        self.fio(el, who, wrap)
        return el

    def org(self, parent, tag: str, org: dict):
        return self.el(parent, tag, НаимОрг=org["name"], ИННЮЛ=org["inn"], КПП=org.get("kpp"),
                       ОГРН=org["ogrn"])


def snils(value: str) -> str:
    """The schema's form «XXX-XXX-XXX YY» of a СНИЛС given as 11 digits or already formatted."""
    digits = "".join(ch for ch in value if ch.isdigit())
    return f"{digits[:3]}-{digits[3:6]}-{digits[6:9]} {digits[9:]}" if len(digits) == 11 else value


def _people(**given) -> dict:
    return {k: person(v) if isinstance(v, str) else v for k, v in given.items() if v is not None}


def build(fmt: str = "003", *, number: str | None = None, name: str | None = None,
          issued: date | None = None, until: date | None = None, redelegation: str = "2",
          org: dict | None = None, signatory: dict | str | None = "head",
          delegator: dict | str | None = None, representative: dict | str = "employee1",
          powers: list[tuple[str, str]] | str | None = None, parent: str | None = None,
          first: str | None = None, drop: str | None = None, principal_kind: str = "org",
          system: str | None = STATUS_URL, representative_org: dict | None = None,
          text: str | None = None, encoding: str | None = None) -> tuple[bytes, str]:
    """(XML bytes, file id) of an МЧД.

    ``principal_kind``: "org" (a company and its head), "manager" (a company whose head is a
    managing company; ``signatory`` is the managing company's head), "ip" (an entrepreneur:
    ``signatory`` is the entrepreneur) or "person". ``delegator`` makes a re-delegation of
    ``parent`` (first power of attorney ``first``). ``powers`` as (code, name) pairs, or a
    string for a text-only power; ``text`` adds a text power beside the coded ones. ``drop``
    removes the first element with that local name (a schema violation).
    """
    number = number or str(uuid.uuid4())
    today = clock.today()
    issued = issued or today - timedelta(days=1)
    until = until or today + timedelta(days=365)
    org = org or principal()
    powers = DEFAULT_POWERS if powers is None else powers
    people = _people(signatory=signatory, delegator=delegator, representative=representative)
    if principal_kind in ("ip", "person"):
        who = people.get("signatory") or people.get("delegator") or person("ip")
        org = {"name": f"Индивидуальный предприниматель {who['surname']} {who['given']}",
               "inn": who["inn"], "ogrn": org["ogrn"] if len(org["ogrn"]) == 15 else "304770000012345"}
    name = name or file_id(number, org["inn"])
    x = _Xml(fmt)
    root = etree.Element(x.q("Доверенность"), nsmap={None: NS} if fmt == "003" else None)
    root.set("ВерсФорм", "EMCHD_1" if fmt == "003" else "002")
    if fmt == "003":
        root.set("ПрЭлФорм", "00000000")
    root.set("ИдФайл", name)
    document = x.el(root, "Документ", КНД="1110027" if fmt == "003" else None)
    if fmt == "002":
        _body_002(x, document, number, issued, until, redelegation, org, people, powers, parent,
                  first, text, system)
    elif "delegator" in people:
        _redelegation_003(x, document, number, issued, until, redelegation, org, people, powers,
                          parent, first, text, system)
    else:
        body = x.el(document, "Довер")
        _info_003(x, body, "СвДов", number, issued, until, redelegation, system)
        _principal_003(x, body, principal_kind, org, people)
        _representative_003(x, body, "СвУпПред", people, representative_org)
        _powers(x, body, powers, text)
    if drop:
        for el in root.iter(x.q(drop)):
            el.getparent().remove(el)
            break
    return etree.tostring(root, xml_declaration=True, encoding=encoding or
                          ("UTF-8" if fmt == "003" else "windows-1251")), name


def _info_003(x, parent, tag, number, issued, until, redelegation, system):
    info = x.el(parent, tag, ВидДовер="1", ПрПередов=redelegation, ВнНомДовер=number[:8].upper(),
                НомДовер=number, ДатаВыдДовер=issued.isoformat(), СрокДейст=until.isoformat())
    x.el(info, "СведСист").text = (system or STATUS_URL).format(number=number)
    return info


def _principal_003(x, body, kind, org, people):
    holder = x.el(body, "СвДоверит", ТипДоверит={"org": "1", "manager": "1", "ip": "3", "person": "4"}[kind])
    el = x.el(holder, "Доверит")
    head = people.get("signatory")
    if kind == "ip":
        ip = x.el(el, "ИПДовер", НаимИП=org["name"], ОГРНИП=org["ogrn"], ИННФЛ=head["inn"],
                  СНИЛС=snils(head["snils"]))
        x.fio(ip, head)
        return
    if kind == "person":
        x.fl(el, "ФЛДовер", head)
        return
    company = x.el(el, "РосОргДовер", ЕИОУК="1" if kind == "manager" else "0",
                   ЕИОФЛ="0" if kind == "manager" else "1", ЕИОИП="0")
    x.org(company, "СвРосОрг", org)
    without = x.el(company, "ЛицоБезДов", ПолнЮЛ="1")
    if kind == "manager":
        managing = x.el(without, "СВЮЛ")
        x.org(managing, "СвЮЛЕИО", MANAGER)
        x.fl(managing, "СвФЛ", head, position=True)
    else:
        x.fl(without, "СвФЛ", head, position=True)


def _representative_003(x, body, tag, people, representative_org):
    holder = x.el(body, tag, ТипПред="1" if representative_org else "3")
    pred = x.el(holder, "Пред")
    if representative_org:
        x.org(pred, "СведОрг", representative_org)
    else:
        x.fl(pred, "СведФизЛ", people["representative"], position=True)


def _powers(x, body, powers, text):
    el = x.el(body, "СвПолн", ТипПолн="1" if isinstance(powers, str) else "0", ПрСовмПолн="1")
    if isinstance(powers, str):
        x.el(el, "ТекстПолн").text = powers
        return
    if text:
        x.el(el, "ТекстПолн").text = text
    for code, title in powers:
        x.el(el, "МашПолн", КодПолн=code, НаимПолн=title)


def _redelegation_003(x, document, number, issued, until, redelegation, org, people, powers,
                      parent, first, text, system):
    body = x.el(document, "Передов", ПрНалПередов="1" if first and first != parent else "0")
    first = first or parent
    start, end = (issued - timedelta(days=30)).isoformat(), (until + timedelta(days=30)).isoformat()
    first_el = x.el(body, "СвПервДовер", ПрДовер="1", ФормДовер="1", ДатаВыдДовер=start, СрокДейст=end,
                    НомДоверПерв=first)
    who = x.el(x.el(first_el, "СвДоверПерв", ТипДоверит="1"), "ДоверитПерв")
    x.org(who, "РосОргДовер", org)
    if parent and parent != first:
        x.el(body, "СвПередов", ПрДовер="2", ФормДовер="1", ДатаВыдДовер=start, СрокДейст=end,
             НомДоверN=parent)
    _info_003(x, body, "СвПереДовер", number, issued, until, redelegation, system)
    passing = x.el(x.el(body, "СвПередПолн", ТипПерПолн="3"), "ПередПолн")
    delegator = people["delegator"]
    fl = x.el(passing, "ФЛПерПолн", ИННФЛ=delegator["inn"], СНИЛС=snils(delegator["snils"]))
    x.fio(fl, delegator)
    _representative_003(x, body, "СвПолучПолн", people, None)
    _powers(x, body, powers, text)


def _body_002(x, document, number, issued, until, redelegation, org, people, powers, parent,
              first, text, system):
    """Format 002 as issued: Документ/Довер, dates as ДД.ММ.ГГГГ, ТипДовер="ЮЛ", attributes
    of the organization on СвРосОрг with its address, the signer (Подписант)."""
    body = x.el(document, "Довер")
    info = x.el(body, "СвДов", НомДовер=number, ДатаВыдДовер=f"{issued:%d.%m.%Y}",
                ДатаКонДовер=f"{until:%d.%m.%Y}", ВнНомДовер=number[:8].upper(), ПрПередов=redelegation)
    x.el(info, "СведСистОтм").text = (system or STATUS_URL).format(number=number)
    if parent:
        x.el(info, "СвПереДов", НомДоверРод=parent, НомДоверПерв=first or parent)
    holder = x.el(body, "СвДоверит", ТипДовер="ЮЛ")
    company = x.el(holder, "РосОргДовер")
    x.el(x.org(company, "СвРосОрг", org), "АдрРФ", Индекс="125009", КодРегион="77", Город="Москва",
         Улица="Тверская", Дом="1")
    if "signatory" in people:
        x.fl(x.el(company, "ЛицоБезДов"), "СвФЛ", people["signatory"], position=True, wrap=False)
    if "delegator" in people:
        x.fl(x.el(company, "ЛицоПередов"), "СвФЛ", people["delegator"], wrap=False)
    rep = x.el(body, "СвУпПред", ТипПред="ФЛ")
    x.fl(rep, "СведФизЛ", people["representative"], wrap=False)
    el = x.el(body, "СвПолн")
    for value in ([powers] if isinstance(powers, str) else [text] if text else []):
        x.el(el, "ТекстПолн").text = value
    for code, title in ([] if isinstance(powers, str) else powers):
        x.el(el, "МашПолн", КодПолн=code, НаимПолн=title)
    signer = people.get("signatory") or people.get("delegator")
    x.fl(document, "Подписант", signer, position=True, wrap=False)


def sign(data: bytes, demo_cert, *, attached: bool = False, pem: bool = False) -> bytes:
    """A CMS signature (DER, or PEM) by a GOST certificate and its key: detached over exactly
    ``data``, or ``attached`` carrying it."""
    with tempfile.TemporaryDirectory() as tmp:
        content, out = Path(tmp, "mchd.xml"), Path(tmp, "mchd.sig")
        content.write_bytes(data)
        args = ["openssl", "cms", "-sign", "-engine", "gost", "-binary", "-in", str(content),
                "-signer", str(demo_cert.cert_path), "-inkey", str(demo_cert.key_path),
                "-md", "md_gost12_256", "-outform", "PEM" if pem else "DER", "-out", str(out)]
        if attached:
            args.append("-nodetach")
        subprocess.run(args, check=True, capture_output=True, timeout=60,
                       env=dict(os.environ, OPENSSL_CONF=str(OPENSSL_CONF)))
        return out.read_bytes()
