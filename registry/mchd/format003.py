"""Format 003 (``EMCHD_1``, namespace ``urn://x-artefacts/EMCHD_1``): the structure of the
official ФНС schema, read after the document has been validated against it.

``Документ`` holds either ``Довер`` (a power of attorney) or ``Передов`` (a re-delegation):

- ``Довер``: ``СвДов`` (number, dates, kind, ПрПередов, СведСист), ``СвДоверит``/``Доверит``
  (``РосОргДовер`` = ``СвРосОрг`` + ``ЛицоБезДов`` (``СвФЛ``, ``СвИП`` or a managing company
  ``СВЮЛ``), ``ИПДовер``, ``ФЛДовер`` or ``ИнОргДовер``), ``СвУпПред``/``Пред`` (``СведФизЛ``,
  ``СведОрг``, ``СведИП``, ``СведФилиал``, ``СведИО``), ``СвПолн`` (``ТекстПолн``, ``МашПолн``);
- ``Передов``: ``СвПервДовер`` (the first power of attorney and its principal), ``СвПередов``
  (the one re-delegated, when it is not the first), ``СвПереДовер`` (this document's facts),
  ``СвПередПолн`` (who passes the powers on), ``СвПолучПолн`` (who receives them), ``СвПолн``.
"""

from __future__ import annotations

from lxml import etree

from .model import INCOMPLETE, DocumentError, Party, Person, PowerOfAttorney, Principal
from .parties import Finder, parse_date

NS = "urn://x-artefacts/EMCHD_1"
f = Finder(NS)


def _principal(el: etree._Element) -> tuple[Principal | None, list[Person], Principal | None]:
    """(the principal, who signs for it, the managing company) of a ``Доверит``."""
    org = f.find(el, "РосОргДовер")
    if org is not None:
        principal = f.organization(f.find(org, "СвРосОрг"))
        heads: list[Person] = []
        manager = None
        for head in f.findall(org, "ЛицоБезДов"):
            company = f.find(head, "СВЮЛ")
            if company is not None:
                manager = manager or f.organization(f.find(company, "СвЮЛЕИО"))
                heads += [p for p in map(f.person, f.findall(company, "СвФЛ")) if p]
            for tag in ("СвФЛ", "СвИП"):
                who = f.person(f.find(head, tag))
                if who is not None:
                    heads.append(who)
        return principal, heads, manager
    foreign = f.find(el, "ИнОргДовер")
    if foreign is not None:
        heads = [p for p in map(f.person, f.findall(foreign, "СвРукОП")) if p]
        return f.organization(f.find(foreign, "СвИнОрг"), "foreign"), heads, None
    ip = f.entrepreneur(f.find(el, "ИПДовер"))
    if ip is not None:
        return ip, [ip.person] if ip.person else [], None
    individual = f.individual(f.find(el, "ФЛДовер"))
    if individual is not None:
        return individual, [individual.person] if individual.person else [], None
    return None, [], None


# ТипПред: which element of ``Пред`` names the representative
_REPRESENTATIVE = {"1": "СведОрг", "2": "СведИП", "3": "СведФизЛ", "4": "СведФилиал", "5": "СведИО"}


def _representative(el: etree._Element) -> Party | None:
    """The representative of one ``СвУпПред`` (or ``СвПолучПолн``)."""
    pred = f.find(el, "Пред")
    tag = _REPRESENTATIVE.get(el.get("ТипПред", ""), "")
    order = [tag] + [t for t in _REPRESENTATIVE.values() if t != tag]
    for name in order:
        item = f.find(pred, name)
        if item is None:
            continue
        if name == "СведФизЛ":
            return f.person(item)
        if name == "СведИП":
            found = f.entrepreneur(item)
            return found.person if found is not None else None
        return f.organization(item, {"СведФилиал": "branch", "СведИО": "foreign"}.get(name, "org"))
    return None


def _first_principal(first: etree._Element | None) -> Principal | None:
    """The principal of the first power of attorney (``СвДоверПерв``/``ДоверитПерв``)."""
    el = f.find(first, "СвДоверПерв/ДоверитПерв")
    if el is None:
        return None
    return (f.organization(f.find(el, "РосОргДовер")) or f.organization(f.find(el, "ИнОргДовер"), "foreign")
            or f.entrepreneur(f.find(el, "ИПДовер")) or f.individual(f.find(el, "ФЛДовер")))


def _delegator(el: etree._Element | None) -> tuple[Party | None, Person | None]:
    """(who passes the powers on, the person who signs for them) of a ``ПередПолн``."""
    if el is None:
        return None, None
    person = f.find(el, "ФЛПерПолн")
    if person is not None:
        who = f.person(person)
        return who, who
    ip = f.entrepreneur(f.find(el, "ИППерПолн"))
    if ip is not None:
        return ip.person, ip.person
    for tag, sub, head in (("РосОргПерПолн", "СвРосОрг", "ЛицоБезДов/СвФЛ"),
                           ("ФилПерПолн", "СвФил", "СвРукФил"), ("ИнПерПолн", "СвИнОрг", "СвРукОП")):
        item = f.find(el, tag)
        if item is not None:
            org = f.organization(f.find(item, sub), "foreign" if tag == "ИнПерПолн" else "org")
            return org, f.person(f.find(item, head))
    return None, None


def read(root: etree._Element) -> PowerOfAttorney:
    """The facts of a format 003 document that the official schema has accepted."""
    document = f.find(root, "Документ")
    body = f.find(document, "Довер")
    if body is not None:
        info = f.find(body, "СвДов")
        principals, heads, manager = [], [], None
        for el in f.findall(body, "СвДоверит/Доверит"):
            principal, signers, company = _principal(el)
            if principal is not None:
                principals.append(principal)
                heads += signers
                manager = manager or company
        representatives = [r for r in map(_representative, f.findall(body, "СвУпПред")) if r]
        delegator = delegator_head = parent = first = None
    else:
        body = f.find(document, "Передов")
        info = f.find(body, "СвПереДовер")
        first_el, parent_el = f.find(body, "СвПервДовер"), f.find(body, "СвПередов")
        first = first_el.get("НомДоверПерв") or first_el.get("НомДоверN") if first_el is not None else None
        parent = (parent_el.get("НомДоверN") or parent_el.get("НомДоверПерв")) if parent_el is not None \
            else first
        found = _first_principal(first_el)
        principals, heads, manager = ([found] if found else []), [], None
        delegator, delegator_head = _delegator(f.find(body, "СвПередПолн/ПередПолн"))
        representatives = [r for r in map(_representative, f.findall(body, "СвПолучПолн")) if r]
    missing = [what for what, value in (("доверитель", principals), ("представитель", representatives),
                                        ("подписант", heads or delegator_head)) if not value]
    if info is None or missing:
        raise DocumentError(INCOMPLETE, "нет сведений: " + ", ".join(missing or ["СвДов"]))
    powers_el = f.find(body, "СвПолн")
    system = f.find(info, "СведСист")
    return PowerOfAttorney(
        format="003", file_id=root.get("ИдФайл", ""), number=info.get("НомДовер", ""),
        internal_number=info.get("ВнНомДовер"),
        issued_on=parse_date(info.get("ДатаВыдДовер"), "дата выдачи"),
        valid_until=parse_date(info.get("СрокДейст"), "срок действия"),
        redelegation=info.get("ПрПередов", "1"), kind=info.get("ВидДовер"),
        irrevocable=f.find(info, "Безотзыв") is not None,
        system=(system.text or "").strip() or None if system is not None else None,
        principal=principals[0], principals=tuple(principals),
        signatory=heads[0] if heads else None, signatories=tuple(heads), manager=manager,
        delegator=delegator, delegator_signatory=delegator_head,
        representative=representatives[0], representatives=tuple(representatives),
        powers=f.powers(powers_el),
        joint=powers_el is not None and powers_el.get("ПрСовмПолн") == "2",
        parent_number=parent, first_number=first)
