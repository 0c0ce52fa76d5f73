"""Factories for test data. Call inside an application context; they add and flush."""

from __future__ import annotations

import itertools
from datetime import timedelta

from registry.auth.models import User, UserCertificate, VisitJournalEntry
from registry.extensions import db, utcnow
from registry.refdata.identifiers import make_inn, make_snils

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


def make_user_certificate(user: User, cert=None, **fields) -> UserCertificate:
    """A stored certificate of ``user``: from a QualifiedCertificate, or made-up values."""
    n = next(_seq)
    now = utcnow()
    if cert is not None:
        values = dict(fingerprint=cert.fingerprint, serial=cert.serial, subject=cert.subject,
                      issuer=cert.issuer, algorithm=cert.algorithm, not_before=cert.not_before,
                      not_after=cert.not_after, pem=cert.pem)
    else:
        values = dict(fingerprint=f"{n:064x}", serial=f"{n:X}", subject=f"CN=Test {n}",
                      issuer="CN=Test CA", algorithm="ECDSA P-256",
                      not_before=now - timedelta(days=1), not_after=now + timedelta(days=365),
                      pem="-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n")
    values.update(fields)
    stored = UserCertificate(user=user, **values)
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
