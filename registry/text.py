"""Russian text for people: names in the cases messages need, gender-agreeing words, quotes,
phone numbers.

Declension is rule-based and covers the usual Russian surnames, first names and patronymics;
a name the rules do not know (foreign, indeclinable) is left as it is, which is also correct
Russian for most such names.
"""

from __future__ import annotations

import re
from typing import Literal

Case = Literal["gen", "dat"]
Gender = Literal["m", "f"]

_HUSHING_OR_VELAR = set("гкхжшщч")


def gender_of(full_name: str | None, patronymic: str | None = None) -> Gender | None:
    """The gender by the patronymic (-вич/-ич/-оглы: male; -вна/-чна/-кызы: female), else by a
    typically female or male surname; None when nothing tells."""
    words = (full_name or "").split()
    patronymic = (patronymic or (words[2] if len(words) >= 3 else "")).lower()
    rest = " ".join(words[3:]).lower()
    if patronymic.endswith(("ич",)) or rest == "оглы" or patronymic.endswith("оглы"):
        return "m"
    if patronymic.endswith(("вна", "чна", "шна")) or rest == "кызы" or patronymic.endswith("кызы"):
        return "f"
    surname = words[0].lower() if words else ""
    if surname.endswith(("ова", "ева", "ёва", "ина", "ына", "ская", "цкая")):
        return "f"
    if surname.endswith(("ов", "ев", "ёв", "ин", "ын", "ский", "цкий")):
        return "m"
    return None


def _ending(word: str, endings: list[tuple[str, str, str]], case: Case) -> str:
    low = word.lower()
    for suffix, gen, dat in endings:
        if low.endswith(suffix):
            new = gen if case == "gen" else dat
            stem = word[:len(word) - len(suffix)]
            return stem + _match_case(new, word)
    return word


def _match_case(text: str, like: str) -> str:
    return text.upper() if like.isupper() and len(like) > 1 else text


def _surname(word: str, gender: Gender, case: Case) -> str:
    if gender == "f":
        return _ending(word, [("ская", "ской", "ской"), ("цкая", "цкой", "цкой"), ("ая", "ой", "ой"),
                              ("ова", "овой", "овой"), ("ева", "евой", "евой"), ("ёва", "ёвой", "ёвой"),
                              ("ина", "иной", "иной"), ("ына", "ыной", "ыной")], case)
    low = word.lower()
    if low.endswith(("ых", "их", "о", "е", "э", "и", "ы", "у", "ю")):
        return word  # Черных, Шевченко, Гёте: not declined
    endings = [("ский", "ского", "скому"), ("цкий", "цкого", "цкому"), ("ой", "ого", "ому"),
               ("ый", "ого", "ому"), ("ий", "ия", "ию"), ("ей", "ея", "ею"), ("ай", "ая", "аю"),
               ("ь", "я", "ю"), ("я", "и", "е")]
    for suffix, _gen, _dat in endings:
        if low.endswith(suffix):
            return _ending(word, endings, case)
    if low.endswith("а"):
        before = low[-2:-1]
        return word[:-1] + _match_case(("и" if before in _HUSHING_OR_VELAR else "ы") if case == "gen" else "е", word)
    if re.search(r"[бвгджзклмнпрстфхцчшщ]$", low):
        return word + _match_case("а" if case == "gen" else "у", word)
    return word


# Names with a vowel that drops or changes when declined.
_GIVEN_EXCEPTIONS = {"пётр": ("Петра", "Петру"), "петр": ("Петра", "Петру"), "лев": ("Льва", "Льву"),
                     "павел": ("Павла", "Павлу")}


def _given(word: str, gender: Gender, case: Case) -> str:
    low = word.lower()
    if gender == "m" and low in _GIVEN_EXCEPTIONS:
        return _match_case(_GIVEN_EXCEPTIONS[low][0 if case == "gen" else 1], word)
    if low.endswith("ия"):
        return word[:-1] + _match_case("и", word)  # Мария → Марии (both cases)
    if low.endswith("я"):
        return word[:-1] + _match_case("и" if case == "gen" else "е", word)
    if low.endswith("а"):
        before = low[-2:-1]
        return word[:-1] + _match_case(("и" if before in _HUSHING_OR_VELAR else "ы") if case == "gen" else "е", word)
    if gender == "f":
        if low == "любовь":
            return word[:-2] + _match_case("ви", word)
        return word  # Нинель, Элен
    if low.endswith(("й", "ь")):
        return word[:-1] + _match_case("я" if case == "gen" else "ю", word)
    if re.search(r"[бвгджзклмнпрстфхцчшщ]$", low):
        return word + _match_case("а" if case == "gen" else "у", word)
    return word


def _patronymic(word: str, gender: Gender, case: Case) -> str:
    low = word.lower()
    if gender == "m" and low.endswith("ич"):
        return word + _match_case("а" if case == "gen" else "у", word)
    if gender == "f" and low.endswith("на"):
        return word[:-1] + _match_case("ы" if case == "gen" else "е", word)
    return word


def inflect(full_name: str | None, case: Case) -> str:
    """«Фамилия Имя Отчество» in the genitive or dative; unknown gender leaves it as is."""
    words = (full_name or "").split()
    gender = gender_of(full_name)
    if not words or gender is None:
        return full_name or ""
    out = [_surname(words[0], gender, case)]
    if len(words) > 1:
        out.append(_given(words[1], gender, case))
    if len(words) > 2:
        out.append(_patronymic(words[2], gender, case))
    out += words[3:]
    return " ".join(out)


def genitive(full_name: str | None) -> str:
    return inflect(full_name, "gen")


def dative(full_name: str | None) -> str:
    return inflect(full_name, "dat")


def agree(full_name: str | None, male: str, female: str, unknown: str | None = None) -> str:
    """The word that agrees with the person: ``agree(name, "назначен", "назначена")``."""
    gender = gender_of(full_name)
    if gender == "f":
        return female
    if gender == "m":
        return male
    return unknown if unknown is not None else male


def quoted(name: str | None) -> str:
    """«name» — unless the name already carries its own quotes (ООО «РОМАШКА», ИС «Учёт»),
    which would nest them."""
    name = (name or "").strip()
    if "«" in name or "»" in name or '"' in name:
        return name
    return f"«{name}»"


def format_phone(value: str | None) -> str:
    """A Russian number as +7 495 123-45-67 (mobile +7 912 345-67-89); others as typed."""
    if not value:
        return ""
    digits = re.sub(r"\D", "", value)
    if len(digits) == 11 and digits[0] in "78":
        digits = "7" + digits[1:]
    elif len(digits) == 10:
        digits = "7" + digits
    else:
        return value.strip()
    return f"+7 {digits[1:4]} {digits[4:7]}-{digits[7:9]}-{digits[9:11]}"


def plural_days(n: int) -> str:
    """Russian plural of «день» for ``n``."""
    n = abs(n)
    if n % 10 == 1 and n % 100 != 11:
        return "день"
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return "дня"
    return "дней"


def in_days(n: int) -> str:
    """When something happens ``n`` days from today: «сегодня», «завтра», «через 5 дней»."""
    if n == 0:
        return "сегодня"
    if n == 1:
        return "завтра"
    return f"через {n} {plural_days(n)}"
