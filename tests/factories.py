"""Factories for test data, one or more per model. Call inside an application context (in a
test's transaction, see ``db_session``); they add and flush, never commit."""

from __future__ import annotations

import itertools
from datetime import timedelta

from registry.auth.models import User, UserCertificate, VisitJournalEntry
from registry.documents.models import Application, Document
from registry.exchange.models import ExchangeCertificate, ExchangeProfile
from registry.extensions import db, utcnow
from registry.identifiers import make_inn, make_ogrn, make_snils
from registry.members.models import Membership, MemberStatus, Role
from registry.organizations.models import (
    EgrulChange,
    Organization,
    OrganizationDraft,
    OrganizationJournalEntry,
    OrganizationVersion,
)
from registry.refdata.models import EgrulRecord, OkvedCode

_seq = itertools.count(1)


def make_user(**fields) -> User:
    """A user with a valid, unique СНИЛС and ИНН unless given."""
    n = next(_seq)
    values = {
        "full_name": f"Тестов Тест Тестович {n}",
        "surname": "Тестов",
        "given_names": "Тест Тестович",
        "snils": make_snils(f"{500000000 + n:09d}"),
        "inn": make_inn(f"{5000000000 + n:010d}"),
    }
    values.update(fields)
    user = User(**values)
    db.session.add(user)
    db.session.flush()
    return user


def _certificate_columns(cert, subject: str, pem: str) -> dict:
    """The stored-certificate columns: from a QualifiedCertificate, or made-up values."""
    if cert is not None:
        return dict(fingerprint=cert.fingerprint, serial=cert.serial, subject=cert.subject,
                    issuer=cert.issuer, algorithm=cert.algorithm, not_before=cert.not_before,
                    not_after=cert.not_after, pem=cert.pem)
    n, now = next(_seq), utcnow()
    return dict(fingerprint=f"{n:064x}", serial=f"{n:X}", subject=subject.format(n=n),
                issuer="CN=Test CA", algorithm="ECDSA P-256",
                not_before=now - timedelta(days=1), not_after=now + timedelta(days=365), pem=pem)


def make_user_certificate(user: User, cert=None, **fields) -> UserCertificate:
    """A stored certificate of ``user``: from a QualifiedCertificate, or made-up values."""
    values = _certificate_columns(cert, "CN=Test {n}",
                                  "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n")
    stored = UserCertificate(user=user, **{**values, **fields})
    db.session.add(stored)
    db.session.flush()
    return stored


def make_journal_entry(user: User | None, **fields) -> VisitJournalEntry:
    values = dict(event=VisitJournalEntry.EVENT_SIGN_IN, result="ok", remote_addr="192.0.2.1",
                  user_agent="Mozilla/5.0 Chrome/120.0", cert_serial="01", cert_issuer="CN=Test CA")
    values.update(fields)
    entry = VisitJournalEntry(user=user, **values)
    db.session.add(entry)
    db.session.flush()
    return entry


# -- organizations ------------------------------------------------------------------------------
def organization_profile(**sections) -> dict:
    """A complete profile of ООО «РОМАШКА» as the wizard stores it: every section accepted and
    valid (its OKVED codes are 32.12, 46.48 and 47.77 — see :func:`make_okved`)."""
    from registry.pki.demo import PEOPLE

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


def make_organization(*, ogrn: str | None = None, inn: str | None = None,
                      name: str | None = None, data: dict | None = None, **fields) -> Organization:
    """A registered organization: a unique ОГРН/ИНН unless given, a complete profile."""
    from registry.pki.demo import PEOPLE

    n = next(_seq)
    ogrn = ogrn or make_ogrn(f"1027799{n:05d}")
    inn = inn or make_inn(f"7798{n:05d}")
    name = name or f"ООО «ТЕСТ-{n}»"
    kpp = fields.pop("kpp", inn[:4] + "01001")
    party = {"kind": "ul", "ogrn": ogrn, "inn": inn, "kpp": kpp, "full_name": name,
             "short_name": name, "address": "г. Москва, ул. Тверская, д. 1",
             "head": {"kind": "person", "surname": "Иванов", "given": "Иван",
                      "patronymic": "Иванович", "inn": PEOPLE["head"]["inn"]}}
    values = dict(kind="ul", ogrn=ogrn, inn=inn, kpp=kpp, full_name=name, short_name=name,
                  party=party, data=organization_profile() if data is None else data)
    values.update(fields)
    organization = Organization(**values)
    db.session.add(organization)
    db.session.flush()
    return organization


def make_version(organization: Organization, *, author: User | None = None,
                 **fields) -> OrganizationVersion:
    values = dict(organization_id=organization.id, number=organization.version,
                  data=organization.data, author_id=getattr(author, "id", None),
                  changes=[{"section": "", "field": "", "old": None,
                            "new": "Организация зарегистрирована"}])
    values.update(fields)
    version = OrganizationVersion(**values)
    db.session.add(version)
    db.session.flush()
    return version


def make_draft(user: User, organization: Organization | None = None,
               **fields) -> OrganizationDraft:
    """A wizard draft: a registration (no organization) or an edit of ``organization``."""
    values = dict(user_id=user.id, organization_id=getattr(organization, "id", None),
                  step="general", data=dict(organization.data) if organization else {},
                  party=organization.party if organization else None,
                  base_version=organization.version if organization else None)
    values.update(fields)
    draft = OrganizationDraft(**values)
    db.session.add(draft)
    db.session.flush()
    return draft


def make_org_journal_entry(organization: Organization, event: str = "joined",
                           **fields) -> OrganizationJournalEntry:
    entry = OrganizationJournalEntry(organization_id=organization.id, event=event, **fields)
    db.session.add(entry)
    db.session.flush()
    return entry


def register_organization(head: User, **fields) -> Organization:
    """What registering through the wizard leaves: the organization, version 1, its head as the
    administrator and the «Регистрация организации» journal entry."""
    from registry.members.services import make_admin

    organization = make_organization(registered_by_id=head.id, **fields)
    make_version(organization, author=head)
    make_admin(head, organization)
    db.session.flush()
    return organization


# -- people -------------------------------------------------------------------------------------
def make_person(name: str, **fields) -> User:
    """The account of a demo PKI person (``head``, ``employee1``…) as their first sign-in
    creates it: their certificates then sign in to it by СНИЛС."""
    from registry.pki.demo import PEOPLE

    p = PEOPLE[name]
    values = dict(full_name=f"{p['surname']} {p['given']}", surname=p["surname"],
                  given_names=p["given"], snils=p["snils"], inn=p["inn"])
    values.update(fields)
    return make_user(**values)


def make_member(user: User, organization: Organization, *roles: str | Role,
                status: str | MemberStatus = MemberStatus.ACTIVE, **fields) -> Membership:
    values = dict(organization_id=organization.id, user_id=user.id,
                  roles=sorted(Role(r).value for r in roles),
                  status=MemberStatus(status).value)
    values.update(fields)
    member = Membership(**values)
    db.session.add(member)
    db.session.flush()
    return member


# -- documents and applications -----------------------------------------------------------------
def _stored_file(content: bytes | None = None, name: str = "a.pdf"):
    import io

    from registry.documents import services as documents
    from registry.documents import storage

    if content is None:
        from .documents.pdfs import plain_pdf
        content = plain_pdf()
    return storage.save_upload(io.BytesIO(content), name, root=documents.files_root())


def make_document(organization: Organization, *, content: bytes | None = None,
                  signature: bytes | None = None, **fields) -> Document:
    """A document in the file store (a small PDF unless ``content``), optionally with a
    detached signature file."""
    today = utcnow().date()
    stored = _stored_file(content)
    values = dict(organization_id=organization.id, doc_type="charter", number=str(next(_seq)),
                  doc_date=today, expires_on=today + timedelta(days=365), file_key=stored.key,
                  file_name="a.pdf", file_size=stored.size, file_sha256=stored.sha256,
                  file_kind="pdf", media_type=stored.media_type, checks=[])
    if signature is not None:
        # the store checks content against the name: a stand-in PDF is stored as one
        sig = _stored_file(signature, "a.pdf" if signature.startswith(b"%PDF") else "a.p7s")
        values.update(signature_key=sig.key, signature_name="a.pdf.sig", signature_size=sig.size)
    values.update(fields)
    document = Document(**values)
    db.session.add(document)
    db.session.flush()
    return document


def make_application(organization: Organization, documents: list[Document] = (),
                     **fields) -> Application:
    """An application (a draft unless ``status``) with a stored PDF, attaching ``documents``."""
    stored = _stored_file()
    number = fields.pop("number", None) or next(_seq)
    values = dict(organization_id=organization.id, number=number,
                  data={"organization": {"full_name": organization.full_name}},
                  profile_version=organization.version, pdf_key=stored.key,
                  pdf_sha256=stored.sha256, pdf_size=stored.size)
    values.update(fields)
    application = Application(**values)
    application.documents = list(documents)
    db.session.add(application)
    db.session.flush()
    return application


# -- information exchange -----------------------------------------------------------------------
def make_exchange_profile(organization: Organization, **fields) -> ExchangeProfile:
    n = next(_seq)
    values = dict(organization_id=organization.id, system_name=f"ИС {n}", system_code=f"IS-{n}")
    values.update(fields)
    profile = ExchangeProfile(**values)
    db.session.add(profile)
    db.session.flush()
    return profile


def make_exchange_certificate(profile: ExchangeProfile, cert=None,
                              **fields) -> ExchangeCertificate:
    """A certificate of an exchange profile: from a QualifiedCertificate, or made-up values."""
    values = _certificate_columns(cert, "CN=ИС {n}", "-")
    stored = ExchangeCertificate(profile=profile, **{**values, **fields})
    db.session.add(stored)
    db.session.flush()
    return stored


# -- reference data -----------------------------------------------------------------------------
def make_okved(code: str, name: str | None = None, **fields) -> OkvedCode:
    """One OKVED2 code (its section from the first letter given, or ``C``)."""
    name = name or f"Вид деятельности {code}"
    values = dict(code=code, name=name, section=fields.pop("section", "C"),
                  parent_code=None, search_text=name.lower().replace("ё", "е"))
    values.update(fields)
    row = OkvedCode(**values)
    db.session.add(row)
    db.session.flush()
    return row


def make_egrul_record(**fields) -> EgrulRecord:
    """An ЕГРЮЛ record of a legal entity (unique ОГРН/ИНН unless given)."""
    n = next(_seq)
    values = dict(kind="ul", ogrn=make_ogrn(f"1027788{n:05d}"), inn=make_inn(f"7797{n:05d}"),
                  kpp="779701001", full_name=f"ОБЩЕСТВО С ОГРАНИЧЕННОЙ ОТВЕТСТВЕННОСТЬЮ «ЗАПИСЬ-{n}»",
                  short_name=f"ООО «ЗАПИСЬ-{n}»", address="г. Москва", status="Действующее",
                  liquidated=False, extract_date=utcnow().date())
    values.update(fields)
    record = EgrulRecord(**values)
    db.session.add(record)
    db.session.flush()
    return record


# -- powers of attorney (МЧД) -------------------------------------------------------------------
def make_power_of_attorney(member: Membership, **fields):
    """An accepted МЧД of a member (made-up XML and signature; active, a year long)."""
    import uuid

    from registry.mchd.models import PowerOfAttorneyRecord

    today = utcnow().date()
    organization = db.session.get(Organization, member.organization_id)
    user = db.session.get(User, member.user_id)
    values = dict(organization_id=member.organization_id, user_id=member.user_id,
                  number=str(uuid.uuid4()), format="003", principal_inn=organization.inn or "",
                  principal_ogrn=organization.ogrn, principal_name=organization.full_name,
                  representative={"full_name": user.full_name, "snils": user.snils, "inn": user.inn},
                  signer={"full_name": "Иванов Иван Иванович"},
                  powers=[{"code": "DMDK_APPLICATIONS", "name": "Работа с заявлениями"}],
                  issued_on=today - timedelta(days=1), valid_until=today + timedelta(days=365),
                  redelegation="1", granted_roles=list(member.roles or []), checks=[],
                  xml=b"<xml/>", signature=b"sig")
    values.update(fields)
    record = PowerOfAttorneyRecord(**values)
    db.session.add(record)
    db.session.flush()
    return record
def make_notice(user: User, **fields):
    """A notice for ``user`` (kind ``cert_expiry`` and a unique key unless given)."""
    from registry.notices.models import Notice

    n = next(_seq)
    values = dict(user_id=user.id, kind="cert_expiry", key=f"test:{n}", subject=f"Уведомление {n}",
                  body="Текст уведомления.")
    values.update(fields)
    notice = Notice(**values)
    db.session.add(notice)
    db.session.flush()
    return notice


def make_confirmed_address(user: User, email: str | None = None):
    """Give ``user`` a profile address already confirmed for notices."""
    from registry.notices.models import NoticeAddress

    user.email = email or user.email or f"person{user.id}@example.ru"
    address = NoticeAddress(user_id=user.id, email=user.email, confirmed_at=utcnow())
    db.session.add(address)
    db.session.flush()
    return address
def make_egrul_change(organization: Organization, **fields) -> EgrulChange:
    """An open change of the head that ЕГРЮЛ shows (the new head: somebody without an account)."""
    new_head = {"kind": "person", "surname": "Новиков", "given": "Николай", "patronymic": "Петрович",
                "inn": make_inn("7799000001"), "title": "Генеральный директор"}
    values = dict(organization_id=organization.id, kind=EgrulChange.KIND_HEAD,
                  old=(organization.party or {}).get("head"), new=new_head, new_head_inn=new_head["inn"],
                  summary="Руководитель по ЕГРЮЛ: Иванов Иван Иванович → Новиков Николай Петрович")
    values.update(fields)
    change = EgrulChange(**values)
    db.session.add(change)
    db.session.flush()
    return change


def make_review(application: Application, **fields):
    """The operator's review of ``application`` (submitted unless ``status``)."""
    from registry.register.models import Review

    values = dict(organization_id=application.organization_id, application_id=application.id,
                  status=Review.SUBMITTED, version=1)
    values.update(fields)
    review = Review(**values)
    db.session.add(review)
    db.session.flush()
    return review


def make_decision(review, **fields):
    """A decision on ``review`` (a refusal, unsigned, with a stand-in PDF)."""
    from registry.register.models import Decision

    values = dict(review_id=review.id, organization_id=review.organization_id, kind=Decision.REFUSE,
                  number=f"Р-{next(_seq):06d}", decided_on=utcnow().date(), pdf=b"%PDF-1.4 decision")
    values.update(fields)
    decision = Decision(**values)
    db.session.add(decision)
    db.session.flush()
    return decision
