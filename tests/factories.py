"""Factories for test data: a factory_boy factory per model (``tests/test_factories.py``
checks that every mapped class has one), and ``make_*`` helpers for what a factory cannot say
alone (a profile, a stored file, a certificate's columns). Call inside an application context
(in a test's transaction, see ``db_session``); they add and flush, never commit."""

from __future__ import annotations

import uuid
from datetime import timedelta

import factory
from factory.alchemy import SQLAlchemyModelFactory

from registry.auth.models import (
    AuthSession,
    SignInChallenge,
    User,
    UserCertificate,
    VisitJournalEntry,
)
from registry.core.journal import OrganizationJournalEntry
from registry.documents.models import Application, Document
from registry.exchange.models import ExchangeCertificate, ExchangeProfile
from registry.extensions import db, utcnow
from registry.identifiers import make_inn, make_ogrn, make_snils
from registry.jobs.models import JobFailure, PeriodicRun
from registry.mchd.models import PowerOfAttorneyRecord, PowerRoleRule
from registry.members.models import Membership, MemberStatus, Role
from registry.notices.models import Notice, NoticeAddress, NoticeOptOut
from registry.organizations.models import (
    EgrulChange,
    Organization,
    OrganizationDraft,
    OrganizationVersion,
)
from registry.refdata.models import EgrulRecord, OkvedCode
from registry.register.models import Decision, RecordSequence, Review, SpecialRecord


# -- factories: one per model -------------------------------------------------------------------
class Factory(SQLAlchemyModelFactory):
    """Adds to the test's session and flushes (the test's transaction is rolled back)."""

    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "flush"


class UserFactory(Factory):
    """A user with a valid, unique СНИЛС and ИНН."""

    class Meta:
        model = User

    full_name = factory.Sequence(lambda n: f"Тестов Тест Тестович {n}")
    surname = "Тестов"
    given_names = "Тест Тестович"
    snils = factory.Sequence(lambda n: make_snils(f"{500000000 + n:09d}"))
    inn = factory.Sequence(lambda n: make_inn(f"{5000000000 + n:010d}"))


class UserCertificateFactory(Factory):
    class Meta:
        model = UserCertificate

    user = factory.SubFactory(UserFactory)
    fingerprint = factory.Sequence(lambda n: f"{n:064x}")
    serial = factory.Sequence(lambda n: f"{n:X}")
    subject = factory.Sequence(lambda n: f"CN=Test {n}")
    issuer = "CN=Test CA"
    algorithm = "ECDSA P-256"
    not_before = factory.LazyFunction(lambda: utcnow() - timedelta(days=1))
    not_after = factory.LazyFunction(lambda: utcnow() + timedelta(days=365))
    pem = "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n"


class VisitJournalEntryFactory(Factory):
    class Meta:
        model = VisitJournalEntry

    event = VisitJournalEntry.EVENT_SIGN_IN
    result = "ok"
    remote_addr = "192.0.2.1"
    user_agent = "Mozilla/5.0 Chrome/120.0"
    cert_serial = "01"
    cert_issuer = "CN=Test CA"


class AuthSessionFactory(Factory):
    """An open session signed in with a client certificate."""

    class Meta:
        model = AuthSession

    user = factory.SubFactory(UserFactory)
    token_hash = factory.Sequence(lambda n: f"{n:064x}")
    cert_fingerprint = factory.Sequence(lambda n: f"{n:064x}")
    method = AuthSession.METHOD_TLS


class SignInChallengeFactory(Factory):
    """A spent challenge of sign-in by signature."""

    class Meta:
        model = SignInChallenge

    nonce = factory.LazyFunction(lambda: uuid.uuid4().hex)
    origin = "https://registry.example.ru"
    text = factory.LazyAttribute(lambda c: f"{c.origin} {c.nonce}")
    expires_at = factory.LazyFunction(lambda: utcnow() + timedelta(minutes=5))
    used_at = factory.LazyFunction(utcnow)


class OrganizationFactory(Factory):
    """A registered organization: a unique ОГРН/ИНН, a complete profile."""

    class Meta:
        model = Organization

    kind = "ul"
    ogrn = factory.Sequence(lambda n: make_ogrn(f"1027799{n:05d}"))
    inn = factory.Sequence(lambda n: make_inn(f"7798{n:05d}"))
    kpp = factory.LazyAttribute(lambda o: o.inn[:4] + "01001")
    full_name = factory.Sequence(lambda n: f"ООО «ТЕСТ-{n}»")
    short_name = factory.SelfAttribute("full_name")
    party = factory.LazyAttribute(lambda o: _party(o.ogrn, o.inn, o.kpp, o.full_name))
    data = factory.LazyFunction(lambda: organization_profile())


class OrganizationVersionFactory(Factory):
    class Meta:
        model = OrganizationVersion

    organization = factory.SubFactory(OrganizationFactory)
    number = factory.LazyAttribute(lambda v: v.organization.version)
    data = factory.LazyAttribute(lambda v: v.organization.data)
    changes = factory.LazyFunction(lambda: [{"section": "", "field": "", "old": None,
                                             "new": "Организация зарегистрирована"}])


class OrganizationDraftFactory(Factory):
    """A registration draft on its first step."""

    class Meta:
        model = OrganizationDraft

    class Params:
        user = factory.SubFactory(UserFactory)

    user_id = factory.SelfAttribute("user.id")
    step = "general"
    data = factory.LazyFunction(dict)


class OrganizationJournalEntryFactory(Factory):
    class Meta:
        model = OrganizationJournalEntry

    class Params:
        organization = factory.SubFactory(OrganizationFactory)

    organization_id = factory.SelfAttribute("organization.id")
    event = "joined"


class EgrulChangeFactory(Factory):
    """An open change of the head that ЕГРЮЛ shows (the new head: somebody without an account)."""

    class Meta:
        model = EgrulChange

    organization = factory.SubFactory(OrganizationFactory)
    kind = EgrulChange.KIND_HEAD
    old = factory.LazyAttribute(lambda c: (c.organization.party or {}).get("head"))
    new = factory.LazyFunction(lambda: {
        "kind": "person", "surname": "Новиков", "given": "Николай", "patronymic": "Петрович",
        "inn": make_inn("7799000001"), "title": "Генеральный директор"})
    new_head_inn = factory.LazyAttribute(lambda c: c.new["inn"])
    summary = "Руководитель по ЕГРЮЛ: Иванов Иван Иванович → Новиков Николай Петрович"


class MembershipFactory(Factory):
    """An active member without roles."""

    class Meta:
        model = Membership

    organization = factory.SubFactory(OrganizationFactory)
    user = factory.SubFactory(UserFactory)
    roles = factory.LazyFunction(list)
    status = MemberStatus.ACTIVE.value


class DocumentFactory(Factory):
    """A charter in the file store (a small PDF), valid for a year."""

    class Meta:
        model = Document

    class Params:
        stored = factory.LazyFunction(lambda: _stored_file())

    organization = factory.SubFactory(OrganizationFactory)
    doc_type = "charter"
    number = factory.Sequence(str)
    doc_date = factory.LazyFunction(lambda: utcnow().date())
    expires_on = factory.LazyAttribute(lambda d: d.doc_date + timedelta(days=365))
    file_key = factory.SelfAttribute("stored.key")
    file_name = "a.pdf"
    file_size = factory.SelfAttribute("stored.size")
    file_sha256 = factory.SelfAttribute("stored.sha256")
    file_kind = "pdf"
    media_type = factory.SelfAttribute("stored.media_type")
    checks = factory.LazyFunction(list)


class ApplicationFactory(Factory):
    """A draft application with a stored PDF."""

    class Meta:
        model = Application

    class Params:
        stored = factory.LazyFunction(lambda: _stored_file())

    organization = factory.SubFactory(OrganizationFactory)
    number = factory.Sequence(lambda n: n + 1)
    data = factory.LazyAttribute(lambda a: {"organization": {"full_name": a.organization.full_name}})
    profile_version = factory.LazyAttribute(lambda a: a.organization.version)
    pdf_key = factory.SelfAttribute("stored.key")
    pdf_sha256 = factory.SelfAttribute("stored.sha256")
    pdf_size = factory.SelfAttribute("stored.size")


class ExchangeProfileFactory(Factory):
    class Meta:
        model = ExchangeProfile

    organization = factory.SubFactory(OrganizationFactory)
    system_name = factory.Sequence(lambda n: f"ИС {n}")
    system_code = factory.Sequence(lambda n: f"IS-{n}")


class ExchangeCertificateFactory(Factory):
    class Meta:
        model = ExchangeCertificate

    profile = factory.SubFactory(ExchangeProfileFactory)
    fingerprint = factory.Sequence(lambda n: f"{n + 1 << 128:064x}")
    serial = factory.Sequence(lambda n: f"E{n:X}")
    subject = factory.Sequence(lambda n: f"CN=ИС {n}")
    issuer = "CN=Test CA"
    algorithm = "ECDSA P-256"
    not_before = factory.LazyFunction(lambda: utcnow() - timedelta(days=1))
    not_after = factory.LazyFunction(lambda: utcnow() + timedelta(days=365))
    pem = "-"


class OkvedCodeFactory(Factory):
    """One OKVED2 code of section C."""

    class Meta:
        model = OkvedCode

    code = factory.Sequence(lambda n: f"{10 + n // 100 % 90:02d}.{n % 100:02d}")
    name = factory.LazyAttribute(lambda c: f"Вид деятельности {c.code}")
    section = "C"
    parent_code = None
    search_text = factory.LazyAttribute(lambda c: c.name.lower().replace("ё", "е"))


class EgrulRecordFactory(Factory):
    """An ЕГРЮЛ record of a legal entity (unique ОГРН/ИНН)."""

    class Meta:
        model = EgrulRecord

    kind = "ul"
    ogrn = factory.Sequence(lambda n: make_ogrn(f"1027788{n:05d}"))
    inn = factory.Sequence(lambda n: make_inn(f"7797{n:05d}"))
    kpp = "779701001"
    full_name = factory.Sequence(lambda n: f"ОБЩЕСТВО С ОГРАНИЧЕННОЙ ОТВЕТСТВЕННОСТЬЮ «ЗАПИСЬ-{n}»")
    short_name = factory.Sequence(lambda n: f"ООО «ЗАПИСЬ-{n}»")
    address = "г. Москва"
    status = "Действующее"
    liquidated = False
    extract_date = factory.LazyFunction(lambda: utcnow().date())


class PowerOfAttorneyRecordFactory(Factory):
    """An accepted МЧД of a member (made-up XML and signature; active, a year long)."""

    class Meta:
        model = PowerOfAttorneyRecord

    class Params:
        member = factory.SubFactory(MembershipFactory)

    organization_id = factory.SelfAttribute("member.organization_id")
    user_id = factory.SelfAttribute("member.user_id")
    number = factory.LazyFunction(lambda: str(uuid.uuid4()))
    format = "003"
    principal_inn = factory.LazyAttribute(lambda r: r.member.organization.inn or "")
    principal_ogrn = factory.LazyAttribute(lambda r: r.member.organization.ogrn)
    principal_name = factory.LazyAttribute(lambda r: r.member.organization.full_name)
    representative = factory.LazyAttribute(lambda r: {
        "full_name": r.member.user.full_name, "snils": r.member.user.snils, "inn": r.member.user.inn})
    signer = factory.LazyFunction(lambda: {"full_name": "Иванов Иван Иванович"})
    powers = factory.LazyFunction(lambda: [{"code": "DMDK_APPLICATIONS", "name": "Работа с заявлениями"}])
    issued_on = factory.LazyFunction(lambda: utcnow().date() - timedelta(days=1))
    valid_until = factory.LazyFunction(lambda: utcnow().date() + timedelta(days=365))
    redelegation = "1"
    granted_roles = factory.LazyAttribute(lambda r: list(r.member.roles or []))
    checks = factory.LazyFunction(list)
    xml = b"<xml/>"
    signature = b"sig"


class PowerRoleRuleFactory(Factory):
    """A machine-readable power and the roles it gives."""

    class Meta:
        model = PowerRoleRule

    code = factory.Sequence(lambda n: f"TEST_POWER_{n}")
    name = factory.Sequence(lambda n: f"Полномочие {n}")
    roles = factory.LazyFunction(lambda: [Role.APPLICATIONS.value])


class NoticeFactory(Factory):
    """A certificate-expiry notice with a unique key."""

    class Meta:
        model = Notice

    user = factory.SubFactory(UserFactory)
    kind = "cert_expiry"
    key = factory.Sequence(lambda n: f"test:{n}")
    subject = factory.Sequence(lambda n: f"Уведомление {n}")
    body = "Текст уведомления."


class NoticeAddressFactory(Factory):
    """A profile address confirmed for notices."""

    class Meta:
        model = NoticeAddress

    class Params:
        user = factory.SubFactory(UserFactory)

    user_id = factory.SelfAttribute("user.id")
    email = factory.Sequence(lambda n: f"person{n}@example.ru")
    confirmed_at = factory.LazyFunction(utcnow)


class NoticeOptOutFactory(Factory):
    class Meta:
        model = NoticeOptOut

    class Params:
        user = factory.SubFactory(UserFactory)

    user_id = factory.SelfAttribute("user.id")
    kind = "cert_expiry"


class JobFailureFactory(Factory):
    """A failed attempt of a job that will not run again."""

    class Meta:
        model = JobFailure

    task = "registry.tests.task"
    task_id = factory.LazyFunction(lambda: uuid.uuid4().hex)
    args = "[]"
    error = "RuntimeError: test"
    retries_left = 0


class PeriodicRunFactory(Factory):
    """A periodic job's finished run for one period."""

    class Meta:
        model = PeriodicRun

    name = factory.Sequence(lambda n: f"test-job-{n}")
    period_start = factory.LazyFunction(utcnow)
    node = "test-node"
    finished_at = factory.LazyFunction(utcnow)


class ReviewFactory(Factory):
    """The operator's review of a submitted application."""

    class Meta:
        model = Review

    application = factory.SubFactory(ApplicationFactory, status=Application.SUBMITTED)
    organization = factory.SelfAttribute("application.organization")
    status = Review.SUBMITTED
    version = 1


class DecisionFactory(Factory):
    """A refusal on a review, unsigned, with a stand-in PDF."""

    class Meta:
        model = Decision

    class Params:
        review = factory.SubFactory(ReviewFactory)

    review_id = factory.SelfAttribute("review.id")
    organization_id = factory.SelfAttribute("review.organization_id")
    kind = Decision.REFUSE
    number = factory.Sequence(lambda n: f"Р-{n + 1:06d}")
    decided_on = factory.LazyFunction(lambda: utcnow().date())
    pdf = b"%PDF-1.4 decision"


class SpecialRecordFactory(Factory):
    """An active entry on the special register."""

    class Meta:
        model = SpecialRecord

    organization = factory.SubFactory(OrganizationFactory)
    number = factory.Sequence(lambda n: f"СУ-T-{n + 1:06d}")
    registered_on = factory.LazyFunction(lambda: utcnow().date())
    status = SpecialRecord.ACTIVE


class RecordSequenceFactory(Factory):
    """A number counter (a year of its own per instance)."""

    class Meta:
        model = RecordSequence

    name = "record"
    year = factory.Sequence(lambda n: 1900 + n)
    last = 0


# -- helpers: what takes more than a factory's defaults -----------------------------------------
def make_user(**fields) -> User:
    """A user with a valid, unique СНИЛС and ИНН unless given."""
    return UserFactory(**fields)


def _certificate_columns(cert) -> dict:
    """The stored-certificate columns of a QualifiedCertificate (none: the factory's)."""
    if cert is None:
        return {}
    return dict(fingerprint=cert.fingerprint, serial=cert.serial, subject=cert.subject,
                issuer=cert.issuer, algorithm=cert.algorithm, not_before=cert.not_before,
                not_after=cert.not_after, pem=cert.pem)


def make_user_certificate(user: User, cert=None, **fields) -> UserCertificate:
    """A stored certificate of ``user``: from a QualifiedCertificate, or made-up values."""
    return UserCertificateFactory(user=user, **{**_certificate_columns(cert), **fields})


def make_journal_entry(user: User | None, **fields) -> VisitJournalEntry:
    return VisitJournalEntryFactory(user=user, **fields)


# -- organizations ------------------------------------------------------------------------------
def organization_profile(**sections) -> dict:
    """A complete profile of ООО «РОМАШКА» as the wizard stores it: every section accepted and
    valid (its OKVED codes are 32.12, 46.48 and 47.77 — see :func:`make_okved`)."""
    from registry.pki.demo_pki import PEOPLE

    person_blank = dict.fromkeys(("le_full_name", "le_short_name", "le_inn", "le_kpp", "le_ogrn",
                                  "le_address", "fo_name", "fo_short_name", "fo_ident",
                                  "fo_country"), "")
    profile = {
        "general": {"email": "office@romashka.example", "phone": "+74951234567", "fax": "",
                    "website": "https://romashka.example", "applicant_category": "producer",
                    "postal_same": True, "postal_index": "", "postal_address": ""},
        "okved": {"main": "32.12", "auxiliary_1": "46.48", "auxiliary_2": "", "others": "47.77",
                  "notes": ""},
        "head": {"kind": "person", "surname": "Иванов", "given": "Иван", "patronymic": "Иванович",
                 "birth_date": "1975-05-15", "inn": PEOPLE["head"]["inn"], "snils": "",
                 "doc_type": "21", "doc_series": "45 08", "doc_number": "123456",
                 "doc_date": "2020-06-01", "doc_issuer": "ГУ МВД России по г. Москве",
                 "reg_address": "г. Москва, ул. Ленина, д. 1",
                 "actual_address": "г. Москва, ул. Ленина, д. 1", **person_blank},
        "premises": [{"id": "p1", "address": "г. Москва, ул. Тверская, д. 1, стр. 2",
                      "postal_index": "125009", "cadastral_number": "77:01:0001001:1234",
                      "purpose": "Мастерская"}],
        "branches": [{"id": "b1", "kind": "branch", "name": "Филиал в Санкт-Петербурге",
                      "kpp": "780101001", "address": "г. Санкт-Петербург, Невский пр., д. 1",
                      "okved": "47.77"}],
        "beneficiaries": [],
    }
    profile.update(sections)
    return profile


def _party(ogrn: str, inn: str, kpp: str, name: str) -> dict:
    """The ЕГРЮЛ record a registered organization keeps: its head is the demo head."""
    from registry.pki.demo_pki import PEOPLE

    return {"kind": "ul", "ogrn": ogrn, "inn": inn, "kpp": kpp, "full_name": name,
            "short_name": name, "address": "г. Москва, ул. Тверская, д. 1",
            "head": {"kind": "person", "surname": "Иванов", "given": "Иван",
                     "patronymic": "Иванович", "inn": PEOPLE["head"]["inn"]}}


def make_organization(*, name: str | None = None, **fields) -> Organization:
    """A registered organization: a unique ОГРН/ИНН unless given, a complete profile."""
    if name is not None:
        fields = {"full_name": name, "short_name": name, **fields}
    fields = {k: v for k, v in fields.items() if v is not None or k not in ("ogrn", "inn", "data")}
    return OrganizationFactory(**fields)


def make_version(organization: Organization, *, author: User | None = None,
                 **fields) -> OrganizationVersion:
    return OrganizationVersionFactory(organization=organization,
                                      author_id=getattr(author, "id", None), **fields)


def make_draft(user: User, organization: Organization | None = None,
               **fields) -> OrganizationDraft:
    """A wizard draft: a registration (no organization) or an edit of ``organization``."""
    if organization is not None:
        fields = dict(organization_id=organization.id, data=dict(organization.data),
                      party=organization.party, base_version=organization.version, **fields)
    return OrganizationDraftFactory(user=user, **fields)


def make_org_journal_entry(organization: Organization, event: str = "joined",
                           **fields) -> OrganizationJournalEntry:
    return OrganizationJournalEntryFactory(organization=organization, event=event, **fields)


def register_organization(head: User, **fields) -> Organization:
    """What registering through the wizard leaves: the organization, version 1, its head as the
    administrator and the «Регистрация организации» journal entry."""
    from registry.members.services.memberships import make_admin

    organization = make_organization(registered_by_id=head.id, **fields)
    make_version(organization, author=head)
    make_admin(head, organization)
    db.session.flush()
    return organization


# -- people -------------------------------------------------------------------------------------
def make_person(name: str, **fields) -> User:
    """The account of a demo PKI person (``head``, ``employee1``…) as their first sign-in
    creates it: their certificates then sign in to it by СНИЛС."""
    from registry.pki.demo_pki import PEOPLE

    p = PEOPLE[name]
    values = dict(full_name=f"{p['surname']} {p['given']}", surname=p["surname"],
                  given_names=p["given"], snils=p["snils"], inn=p["inn"])
    values.update(fields)
    return make_user(**values)


def make_member(user: User, organization: Organization, *roles: str | Role,
                status: str | MemberStatus = MemberStatus.ACTIVE, **fields) -> Membership:
    return MembershipFactory(organization=organization, user=user,
                             roles=sorted(Role(r).value for r in roles),
                             status=MemberStatus(status).value, **fields)


# -- documents and applications -----------------------------------------------------------------
def _stored_file(content: bytes | None = None, name: str = "a.pdf"):
    import io

    from registry.documents import storage
    from registry.documents.services.store import files_root

    if content is None:
        from .documents.pdfs import plain_pdf
        content = plain_pdf()
    return storage.save_upload(io.BytesIO(content), name, root=files_root())


def make_document(organization: Organization, *, content: bytes | None = None,
                  signature: bytes | None = None, **fields) -> Document:
    """A document in the file store (a small PDF unless ``content``), optionally with a
    detached signature file."""
    if signature is not None:
        # the store checks content against the name: a stand-in PDF is stored as one
        sig = _stored_file(signature, "a.pdf" if signature.startswith(b"%PDF") else "a.p7s")
        fields = dict(signature_key=sig.key, signature_name="a.pdf.sig", signature_size=sig.size,
                      **fields)
    return DocumentFactory(organization=organization, stored=_stored_file(content), **fields)


def make_application(organization: Organization, documents: list[Document] = (),
                     **fields) -> Application:
    """An application (a draft unless ``status``) with a stored PDF, attaching ``documents``."""
    if fields.get("number") is None:
        fields.pop("number", None)
    return ApplicationFactory(organization=organization, documents=list(documents), **fields)


# -- information exchange -----------------------------------------------------------------------
def make_exchange_profile(organization: Organization, **fields) -> ExchangeProfile:
    return ExchangeProfileFactory(organization=organization, **fields)


def make_exchange_certificate(profile: ExchangeProfile, cert=None,
                              **fields) -> ExchangeCertificate:
    """A certificate of an exchange profile: from a QualifiedCertificate, or made-up values."""
    return ExchangeCertificateFactory(profile=profile, **{**_certificate_columns(cert), **fields})


# -- reference data -----------------------------------------------------------------------------
def make_okved(code: str, name: str | None = None, **fields) -> OkvedCode:
    """One OKVED2 code (section ``C`` unless given)."""
    if name is not None:
        fields["name"] = name
    return OkvedCodeFactory(code=code, **fields)


def make_egrul_record(**fields) -> EgrulRecord:
    """An ЕГРЮЛ record of a legal entity (unique ОГРН/ИНН unless given)."""
    return EgrulRecordFactory(**fields)


# -- powers of attorney (МЧД) -------------------------------------------------------------------
def make_power_of_attorney(member: Membership, **fields) -> PowerOfAttorneyRecord:
    """An accepted МЧД of a member (made-up XML and signature; active, a year long)."""
    return PowerOfAttorneyRecordFactory(member=member, **fields)


# -- notices ------------------------------------------------------------------------------------
def make_notice(user: User, **fields) -> Notice:
    """A notice for ``user`` (kind ``cert_expiry`` and a unique key unless given)."""
    return NoticeFactory(user=user, **fields)


def make_confirmed_address(user: User, email: str | None = None) -> NoticeAddress:
    """Give ``user`` a profile address already confirmed for notices."""
    user.email = email or user.email or f"person{user.id}@example.ru"
    return NoticeAddressFactory(user=user, email=user.email)


def make_egrul_change(organization: Organization, **fields) -> EgrulChange:
    """An open change of the head that ЕГРЮЛ shows (the new head: somebody without an account)."""
    return EgrulChangeFactory(organization=organization, **fields)


def make_review(application: Application, **fields) -> Review:
    """The operator's review of ``application`` (submitted unless ``status``)."""
    return ReviewFactory(application=application, **fields)


def make_decision(review: Review, **fields) -> Decision:
    """A decision on ``review`` (a refusal, unsigned, with a stand-in PDF)."""
    return DecisionFactory(review=review, **fields)
