"""Small dictionaries the forms choose from: applicant categories, document types, countries."""

from __future__ import annotations

# Categories of participants of the precious metals and stones market (ГИИС ДМДК, 53-ФЗ).
APPLICANT_CATEGORIES: list[tuple[str, str]] = [
    ("producer", "Производитель ювелирных и других изделий из драгоценных металлов и камней"),
    ("refiner", "Аффинажная организация"),
    ("miner", "Организация, осуществляющая добычу драгоценных металлов и камней"),
    ("processor", "Организация, осуществляющая переработку лома и отходов драгоценных металлов"),
    ("wholesale", "Организация оптовой торговли драгоценными металлами, камнями и изделиями из них"),
    ("retail", "Организация розничной торговли ювелирными изделиями"),
    ("pawnshop", "Ломбард"),
    ("bank", "Кредитная организация"),
    ("repair", "Организация, оказывающая услуги по ремонту ювелирных изделий"),
    ("other", "Иной участник рынка драгоценных металлов и драгоценных камней"),
]

DOCUMENT_TYPES: list[tuple[str, str]] = [
    ("charter", "Устав"),
    ("egrul_extract", "Выписка из ЕГРЮЛ/ЕГРИП"),
    ("registration_certificate", "Свидетельство о государственной регистрации"),
    ("tax_certificate", "Свидетельство о постановке на учет в налоговом органе"),
    ("head_appointment", "Решение (приказ) о назначении руководителя"),
    ("power_of_attorney", "Доверенность"),
    ("lease", "Договор аренды (документ о праве на объект недвижимости)"),
    ("license", "Лицензия"),
    ("assay_registration", "Уведомление о постановке на специальный учет"),
    ("other", "Иной документ"),
]

# Types of documents that have no end date: «Бессрочно» may be ticked for them.
OPEN_ENDED_DOCUMENT_TYPES = frozenset({"charter", "registration_certificate", "tax_certificate",
                                       "head_appointment", "assay_registration"})

IDENTITY_DOCUMENT_TYPES: list[tuple[str, str]] = [
    ("21", "Паспорт гражданина Российской Федерации"),
    ("03", "Свидетельство о рождении"),
    ("10", "Паспорт иностранного гражданина"),
    ("12", "Вид на жительство в Российской Федерации"),
    ("15", "Разрешение на временное проживание"),
    ("22", "Загранпаспорт гражданина Российской Федерации"),
    ("91", "Иной документ"),
]

# ОКСМ (ОК 025-2001): digital code, short name. Russia first; then the countries whose
# organizations most often appear in the registry; «Иное» lets any other be typed by hand.
COUNTRIES: list[tuple[str, str]] = [
    ("643", "Россия"), ("112", "Беларусь"), ("398", "Казахстан"), ("051", "Армения"),
    ("417", "Киргизия"), ("860", "Узбекистан"), ("762", "Таджикистан"), ("031", "Азербайджан"),
    ("498", "Молдова"), ("268", "Грузия"), ("795", "Туркменистан"), ("156", "Китай"),
    ("356", "Индия"), ("784", "Объединённые Арабские Эмираты"), ("792", "Турция"), ("376", "Израиль"),
    ("756", "Швейцария"), ("276", "Германия"), ("380", "Италия"), ("250", "Франция"),
    ("826", "Соединённое Королевство"), ("840", "Соединённые Штаты"), ("056", "Бельгия"),
    ("196", "Кипр"), ("344", "Гонконг"), ("702", "Сингапур"), ("764", "Таиланд"),
    ("710", "Южная Африка"), ("072", "Ботсвана"), ("076", "Бразилия"),
]


def countries() -> list[tuple[str, str]]:
    return list(COUNTRIES)


def title(dictionary: list[tuple[str, str]], code: str | None) -> str | None:
    """The title for ``code`` in one of the lists above."""
    return dict(dictionary).get(code or "")
