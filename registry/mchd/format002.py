"""Format 002 (``ВерсФорм="002"``, no namespace, usually windows-1251): read by the structure
issued files have, since no official schema of it is at hand.

``Документ`` (or ``Документ/Довер``) holds ``СвДов`` (``НомДовер``, ``ДатаВыдДовер``,
``ДатаКонДовер``, ``ПрПередов``, ``Безотзыв``, ``СведСистОтм``), ``СвДоверит`` (``ТипДовер``:
``РосОргДовер``/``СвРосОрг`` with its attributes or the attributes on ``РосОргДовер`` itself,
``ЛицоБезДов``/``СвФЛ``; an entrepreneur or a person), ``СвУпПред`` (``ТипПред``: ``СведФизЛ`` or
``СвФизЛ`` with ``ФИО``; or ``СведОрг``), ``СвПолн`` (``ТекстПолн``, ``МашПолн``), and the
``Подписант``. Whatever else a file carries is accepted; a file without the number, the dates,
the principal, the head or the representative is refused, naming what is missing.
"""

from __future__ import annotations

from lxml import etree

from .model import INCOMPLETE, DocumentError, Party, Person, PowerOfAttorney, Principal
from .parties import Finder, parse_date

f = Finder(None)


def _principal(el: etree._Element | None) -> tuple[Principal | None, list[Person]]:
    if el is None:
        return None, []
    org = f.descendant(el, "РосОргДовер")
    if org is not None:
        principal = f.organization(f.find(org, "СвРосОрг")) or f.organization(org)
        heads = [f.person(f.find(h, "СвФЛ")) or f.person(h) for h in org.iter("ЛицоБезДов")]
        return principal, [h for h in heads if h]
    ip = f.entrepreneur(f.descendant(el, "ИПДовер"))
    if ip is not None:
        return ip, [ip.person] if ip.person else []
    individual = f.individual(f.descendant(el, "ФЛДовер"))
    if individual is not None:
        return individual, [individual.person] if individual.person else []
    return None, []


def _representative(el: etree._Element | None) -> Party | None:
    for tag in ("СведФизЛ", "СвФизЛ"):
        who = f.person(f.descendant(el, tag))
        if who is not None:
            return who
    ip = f.entrepreneur(f.descendant(el, "СведИП"))
    if ip is not None:
        return ip.person
    return f.organization(f.descendant(el, "СведОрг"))


def read(root: etree._Element) -> PowerOfAttorney:
    """The facts of a format 002 document; DocumentError(INCOMPLETE) names what it lacks."""
    document = f.find(root, "Документ")
    body = f.find(document, "Довер")
    body = body if body is not None else document
    info = f.find(body, "СвДов")
    principal_el = f.find(body, "СвДоверит")
    principal, heads = _principal(principal_el)
    delegator_el = f.descendant(principal_el, "ЛицоПередов")
    delegator = (f.person(f.find(delegator_el, "СвФЛ")) or f.person(delegator_el)) \
        if delegator_el is not None else None
    if not heads and delegator is None:
        signer = f.descendant(root, "Подписант")
        found = f.person(f.find(signer, "СвФЛ")) or f.person(signer)
        heads = [found] if found else []
    representatives = [r for r in (_representative(el) for el in f.findall(body, "СвУпПред")) if r]
    get = info.get if info is not None else (lambda _name, _default=None: None)
    until = get("ДатаКонДовер") or get("СрокДейст")
    required = (("номер доверенности (СвДов/@НомДовер)", get("НомДовер")),
                ("дата выдачи (СвДов/@ДатаВыдДовер)", get("ДатаВыдДовер")),
                ("дата окончания (СвДов/@ДатаКонДовер)", until),
                ("доверитель (СвДоверит)", principal),
                ("руководитель, подписывающий доверенность (ЛицоБезДов)", heads or delegator),
                ("представитель (СвУпПред)", representatives),
                ("полномочия (СвПолн)", f.powers(f.find(body, "СвПолн"))))
    missing = [what for what, value in required if not value]
    if missing:
        raise DocumentError(INCOMPLETE, "в доверенности формата 002 нет: " + ", ".join(missing))
    assert principal is not None and info is not None
    link = f.find(info, "СвПереДов")
    system = f.descendant(info, "СведСистОтм")
    return PowerOfAttorney(
        format="002", file_id=root.get("ИдФайл", ""), number=get("НомДовер") or "",
        internal_number=get("ВнНомДовер"),
        issued_on=parse_date(get("ДатаВыдДовер"), "дата выдачи"),
        valid_until=parse_date(until, "дата окончания"),
        redelegation=get("ПрПередов") or "1", kind=get("ВидДовер"),
        irrevocable=f.find(info, "Безотзыв") is not None or get("Безотзыв") == "1",
        system=(system.text or "").strip() or None if system is not None else get("СведСистОтм"),
        principal=principal, principals=(principal,),
        signatory=heads[0] if heads and delegator is None else None, signatories=tuple(heads),
        delegator=delegator, delegator_signatory=delegator,
        representative=representatives[0], representatives=tuple(representatives),
        powers=f.powers(f.find(body, "СвПолн")),
        parent_number=link.get("НомДоверРод") if link is not None else None,
        first_number=link.get("НомДоверПерв") if link is not None else None)
