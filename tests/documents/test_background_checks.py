"""Signature checks with bounds: large files are verified in the background, a CMS with too
many certificates or too many bytes is refused before any certificate is looked at."""

from __future__ import annotations

import pytest
from asn1crypto import cms
from huey.storage import MemoryStorage
from sqlalchemy import select

from registry import jobs
from registry.documents import signatures
from registry.documents.models import Document
from registry.extensions import db

from .conftest import cms_sign
from .pdfs import plain_pdf
from .test_documents import upload


@pytest.fixture
def queued(app):
    saved = (jobs.huey._immediate, jobs.huey.storage, jobs._state.app)
    jobs.huey._immediate = False
    jobs.huey.storage = MemoryStorage("tests")
    jobs._state.app = app
    yield jobs.huey
    jobs.huey._immediate, jobs.huey.storage, jobs._state.app = saved


def test_large_document_shows_pending_until_the_job_has_run(app, org, as_person, demo_pki, tmp_path,
                                                           queued, monkeypatch):
    monkeypatch.setitem(app.config, "REGISTRY_SIGNATURE_INLINE_MB", 0)  # every file is "large"
    browser = as_person("employee1")
    content = plain_pdf("Charter")
    signature = cms_sign(demo_pki, tmp_path, "head", "ecdsa", content)
    r = upload(browser, org.id, content, "устав.pdf", signature=(signature, "устав.pdf.sig"))
    assert r.status_code == 302, r.text
    assert "проверяется" in browser.get(r.location).text
    assert "проверяется" in browser.get(f"/organizations/{org.id}/documents").text
    assert queued.pending_count() == 1
    task = queued.dequeue()
    queued.execute(task)
    page = browser.get(r.location).text
    assert "проверяется" not in page and "Подпись верна" in page
    with app.app_context():
        document = db.session.scalars(select(Document).order_by(Document.id.desc())).first()
        assert document.signature_state == "valid" and document.checked_at is not None


def _with_extra_certificates(signature: bytes, count: int) -> bytes:
    info = cms.ContentInfo.load(signature)
    signed = info["content"]
    certs = list(signed["certificates"])
    signed["certificates"] = cms.CertificateSet(certs + [certs[0]] * count)
    return info.dump(force=True)


def test_cms_with_too_many_certificates_is_refused(demo_pki, tmp_path):
    from registry.pki import TrustStore

    content = b"document"
    signature = cms_sign(demo_pki, tmp_path, "head", "ecdsa", content)
    store = TrustStore.from_paths(demo_pki.trust_dir)
    padded = _with_extra_certificates(signature, 60)
    assert signatures.verify_detached(signature, content, trust_store=store).valid
    check = signatures.verify_detached(padded, content, trust_store=store)
    assert check.code == signatures.TOO_MANY_CERTIFICATES and "61 при допустимых 50" in check.message
    big = signatures.verify_detached(padded, content, trust_store=store, max_bytes=10 * 1024)
    assert big.code == signatures.TOO_LARGE and "слишком большой" in big.message


def _pending_document(app, browser, org, demo_pki, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "REGISTRY_SIGNATURE_INLINE_MB", 0)
    content = plain_pdf("Charter")
    signature = cms_sign(demo_pki, tmp_path, "head", "ecdsa", content)
    r = upload(browser, org.id, content, "устав.pdf", signature=(signature, "устав.pdf.sig"))
    assert r.status_code == 302, r.text
    return r.location


def _lose_the_queue(queued):
    while queued.pending_count():  # a process killed after its commit: the job is gone
        queued.dequeue()


def _run_queue(queued):
    ran = 0
    while queued.pending_count():
        queued.execute(queued.dequeue())
        ran += 1
    return ran


def test_a_lost_check_is_enqueued_again_by_the_periodic_sweep(app, org, as_person, demo_pki,
                                                             tmp_path, queued, monkeypatch):
    from datetime import timedelta

    from registry.extensions import utcnow

    browser = as_person("employee1")
    url = _pending_document(app, browser, org, demo_pki, tmp_path, monkeypatch)
    _lose_the_queue(queued)
    # pending for less than the period: left alone (its job may still be on its way)
    assert jobs.run_periodic("signature_checks")
    assert queued.pending_count() == 0
    # a period later the sweep enqueues it again, and the check gets done
    later = utcnow() + timedelta(minutes=int(app.config["REGISTRY_SIGNATURE_RECHECK_MINUTES"]) + 1)
    monkeypatch.setattr("registry.documents.services.checks.utcnow", lambda: later)
    assert jobs.run_periodic("signature_checks", now=later)
    assert _run_queue(queued) == 1
    page = browser.get(url).text
    assert "проверяется" not in page and "Подпись верна" in page


def test_a_starting_consumer_enqueues_every_pending_check_once_done_is_done(
        app, org, as_person, demo_pki, tmp_path, queued, monkeypatch):
    browser = as_person("employee1")
    url = _pending_document(app, browser, org, demo_pki, tmp_path, monkeypatch)
    _lose_the_queue(queued)
    jobs.run_startup(app)
    assert queued.pending_count() == 1
    jobs.run_startup(app)  # a second start (or node) enqueues it again: the job is idempotent
    assert _run_queue(queued) == 2
    page = browser.get(url).text
    assert "проверяется" not in page and "Подпись верна" in page
    jobs.run_startup(app)
    assert queued.pending_count() == 0  # nothing pending any more
