"""What the product reads from a machine-readable power of attorney (МЧД), whatever its format:
the document's facts, its parties and its powers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


class DocumentError(Exception):
    """An МЧД that cannot be read: ``code`` names the problem, ``detail`` says what in Russian."""

    def __init__(self, code: str, detail: str = ""):
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail


# codes of DocumentError
TOO_LARGE = "xml_too_large"
FORBIDDEN = "xml_forbidden_construct"
MALFORMED = "xml_malformed"
ENCODING = "xml_wrong_encoding"
UNKNOWN_FORMAT = "unknown_format"
SCHEMA = "schema_invalid"
INCOMPLETE = "document_incomplete"
PACKAGE = "package_invalid"

# ПрПередов: may the representative re-delegate? (1 no, 2 once, 3 further re-delegations)
REDELEGATION_TITLES = {"1": "без права передоверия", "2": "с правом однократного передоверия",
                       "3": "с правом последующего передоверия"}
PRINCIPAL_KINDS = {"org": "российское юридическое лицо", "foreign": "иностранное юридическое лицо",
                   "ip": "индивидуальный предприниматель", "person": "физическое лицо",
                   "branch": "филиал (обособленное подразделение)"}


@dataclass(frozen=True)
class Person:
    """A person named in the document (ФИО, ИНН, СНИЛС as 11 digits, position)."""

    surname: str
    given: str
    patronymic: str | None
    inn: str | None
    snils: str | None
    position: str | None = None

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.surname, self.given, self.patronymic) if p)

    def to_dict(self) -> dict:
        return {"kind": "person", "full_name": self.full_name, "inn": self.inn, "snils": self.snils,
                "position": self.position}


@dataclass(frozen=True)
class Principal:
    """An organization (or an entrepreneur, or a person) that gives or receives powers.

    ``kind``: one of :data:`PRINCIPAL_KINDS`. For an entrepreneur ``ogrn`` is the ОГРНИП and
    ``inn`` the personal ИНН; ``person`` is the entrepreneur or the individual themselves.
    """

    name: str
    inn: str | None
    kpp: str | None
    ogrn: str | None
    kind: str = "org"
    person: Person | None = None

    @property
    def full_name(self) -> str:
        return self.name

    @property
    def snils(self) -> str | None:
        return self.person.snils if self.person else None

    def to_dict(self) -> dict:
        return {"kind": self.kind, "name": self.name, "inn": self.inn, "kpp": self.kpp,
                "ogrn": self.ogrn}


Party = Person | Principal


@dataclass(frozen=True)
class Power:
    """One power: machine-readable (a code of the ФНС classifier of powers, its name, its
    mnemonic and restrictions) or text (no code)."""

    code: str | None
    name: str
    mnemonic: str | None = None
    restrictions: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        return {"code": self.code, "name": self.name, "mnemonic": self.mnemonic,
                "restrictions": list(self.restrictions)}


@dataclass
class PowerOfAttorney:
    """What the product reads from an МЧД of format 003 (``EMCHD_1``) or 002."""

    format: str  # "003" or "002"
    file_id: str
    number: str
    issued_on: date
    valid_until: date
    redelegation: str  # ПрПередов
    principal: Principal
    representative: Party
    # ЛицоБезДов: who acts for the principal without a power of attorney and signs this one
    signatory: Person | None = None
    # The managing company acting as the principal's head (ЕИОУК); ``signatory`` is its head.
    manager: Principal | None = None
    # A re-delegation: who passes the powers on (a person, or an organization and its head)
    delegator: Party | None = None
    delegator_signatory: Person | None = None
    powers: list[Power] = field(default_factory=list)
    parent_number: str | None = None
    first_number: str | None = None
    internal_number: str | None = None  # ВнНомДовер
    kind: str | None = None  # ВидДовер
    irrevocable: bool = False  # Безотзыв
    joint: bool = False  # ПрСовмПолн = 2: the representatives act together
    system: str | None = None  # СведСист: where the registry answers about this МЧД
    principals: tuple[Principal, ...] = ()
    representatives: tuple[Party, ...] = ()
    signatories: tuple[Person, ...] = ()
    raw: bytes = b""

    @property
    def text_only(self) -> bool:
        return all(p.code is None for p in self.powers)

    @property
    def codes(self) -> set[str]:
        return {p.code for p in self.powers if p.code}

    @property
    def is_redelegation(self) -> bool:
        return self.delegator is not None

    @property
    def issuer(self) -> Person:
        """Who must have signed it: the head (or the entrepreneur, or the individual), or for a
        re-delegation the person who passes the powers on."""
        if self.signatory is not None:
            return self.signatory
        if isinstance(self.delegator, Person):
            return self.delegator
        assert self.delegator_signatory is not None
        return self.delegator_signatory

    @property
    def issuers(self) -> tuple[Person, ...]:
        """Everyone who may sign it (several heads named in ``ЛицоБезДов``)."""
        return self.signatories or (self.issuer,)
