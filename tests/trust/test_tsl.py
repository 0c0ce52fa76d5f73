"""`registry trust import-tsl`: the official list read exactly, the store swapped atomically,
accreditation enforced at the time of the decision."""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta

import pytest

from registry.pki import load_certificate
from registry.trust import TslError, holder, import_tsl, parse_tsl
from registry.trust.decision import decide
from registry.trust.store import display_name
from registry.trust.tsl import ROOT_TAG

from .conftest import (
    MSK,
    REAL_PKI,
    ListedCa,
    demo_ca,
    der_of,
    initial_store,
    now,
    sign_list,
    tsl_xml,
)


def _real_cas(limit: int = 12) -> tuple[list[ListedCa], list[bytes]]:
    """Accredited-CA certificates of ../shared/data/real-pki that this product reads."""
    cas, roots = [], []
    for path in sorted(REAL_PKI.glob("*.pem")):
        der = der_of(path)
        try:
            cert = load_certificate(der)
            self_signed = cert.is_self_signed
        except Exception:  # not every real quirk is read yet: those are pki's tests
            continue
        if self_signed:
            roots.append(der)
        elif len(cas) < limit:
            org = display_name(cert)
            cas.append(
                ListedCa(
                    name=org,
                    short_name=org[:60],
                    inn=cert.inn_le or "7700000000",
                    ogrn=cert.ogrn or "1027700000000",
                    certificates=[der],
                    crl_urls=[f"http://127.0.0.1:9/real-{len(cas)}.crl"],
                )
            )
    return cas, roots


def test_parse_reads_every_field_of_the_format(demo_pki):
    t = datetime(2026, 11, 30, 12, 0, tzinfo=MSK)
    ca = demo_ca(
        demo_pki,
        crl_urls=["http://ca.example/ca.crl", "http://mirror.example/ca.crl"],
        statuses=[
            ("Действует", datetime(2019, 1, 1, tzinfo=MSK), None),
            ("Приостановлена", datetime(2021, 3, 1, tzinfo=MSK), datetime(2021, 4, 1, tzinfo=MSK)),
            ("Действует", datetime(2021, 4, 1, tzinfo=MSK), None),
        ],
    )
    parsed = parse_tsl(tsl_xml(1234, t, [ca]))
    assert parsed.version == 1234 and parsed.date == t and parsed.problems == []
    [got] = parsed.cas
    assert (got.name, got.short_name, got.inn, got.ogrn) == (
        ca.name,
        ca.short_name,
        ca.inn,
        ca.ogrn,
    )
    assert got.crl_urls == ca.crl_urls
    assert [(p.status, p.start, p.end) for p in got.periods] == [
        ("Действует", datetime(2019, 1, 1, tzinfo=MSK), datetime(2021, 3, 1, tzinfo=MSK)),
        ("Приостановлена", datetime(2021, 3, 1, tzinfo=MSK), datetime(2021, 4, 1, tzinfo=MSK)),
        ("Действует", datetime(2021, 4, 1, tzinfo=MSK), None),
    ]
    [key] = got.keys
    [cert] = key.certificates
    expected = demo_pki.ca("ecdsa").certificate
    assert cert.sha256 == expected.fingerprint and cert.serial == expected.serial
    assert key.key_id == expected.asn1.key_identifier.hex()
    assert cert.valid_to == expected.not_after and cert.issued_to == expected.subject


def test_real_accredited_ca_certificates_are_listed(tmp_path):
    cas, roots = _real_cas()
    assert len(cas) >= 10 and roots, "real-pki sample missing"
    parsed = parse_tsl(tsl_xml(7, now(), cas))
    assert len(parsed.cas) == len(cas)
    assert [c.certificates[0].sha256 for c in parsed.cas] == [
        load_certificate(c.certificates[0]).fingerprint for c in cas
    ]


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "пуст"),
        (b"<html><body>503</body></html>", "не список аккредитованных УЦ"),
        (f"<{ROOT_TAG}><Версия>5</Вер".encode(), "повреждён"),
        (f"<{ROOT_TAG}><Дата>2026-01-01</Дата></{ROOT_TAG}>".encode(), "нет версии"),
        (
            f"<{ROOT_TAG}><Версия>x1</Версия><Дата>2026-01-01</Дата></{ROOT_TAG}>".encode(),
            "не число",
        ),
        (f"<{ROOT_TAG}><Версия>5</Версия></{ROOT_TAG}>".encode(), "нет даты"),
        (
            f"<{ROOT_TAG}><Версия>5</Версия><Дата>2026-01-01</Дата></{ROOT_TAG}>".encode(),
            "ни одного",
        ),
        (
            f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            f"<{ROOT_TAG}><Версия>&x;</Версия></{ROOT_TAG}>".encode(),
            "DOCTYPE",
        ),
    ],
)
def test_broken_lists_are_refused_with_a_reason(data, message):
    with pytest.raises(TslError, match=message):
        parse_tsl(data)


def test_size_limit_and_bad_certificates(demo_pki):
    good = tsl_xml(3, now(), [demo_ca(demo_pki)])
    with pytest.raises(TslError, match="больше"):
        parse_tsl(good, max_bytes=len(good) - 1)
    import io

    with pytest.raises(TslError, match="больше"):
        parse_tsl(io.BytesIO(good), max_bytes=len(good) // 2)
    # A certificate whose thumbprint does not match its data is left out and reported.
    tampered = good.replace(
        b"<\xd0\x9e\xd1\x82\xd0\xbf\xd0\xb5\xd1\x87\xd0\xb0\xd1\x82\xd0\xbe\xd0\xba>",
        b"<\xd0\x9e\xd1\x82\xd0\xbf\xd0\xb5\xd1\x87\xd0\xb0\xd1\x82\xd0\xbe\xd0\xba>00",
        1,
    )
    with pytest.raises(TslError, match="ни одного"):
        parse_tsl(tampered)
    two = tsl_xml(3, now(), [demo_ca(demo_pki), demo_ca(demo_pki, "rsa")])
    start = two.index("<Данные>".encode())
    broken = two[:start] + "<Данные>не base64!".encode() + two[two.index("</Данные>".encode()) :]
    parsed = parse_tsl(broken)
    assert parsed.certificate_count == 1 and "не base64" in parsed.problems[0]


def _signin(app, demo_pki, person="employee1", alg="ecdsa"):
    client = app.test_client()
    client.certificate = demo_pki.person(person, alg).pem
    return client.get("/")


def test_import_builds_the_store_and_people_sign_in(
    trust_app_factory, demo_pki, tmp_path, db_session, http_server
):
    initial_store(demo_pki, tmp_path / "trust")
    cas, roots = _real_cas(4)
    listed = [demo_ca(demo_pki, crl_urls=[http_server.url("/ca.crl")]), *cas]
    http_server.routes["/tsl.xml"] = tsl_xml(100, now() - timedelta(hours=1), listed)
    app = trust_app_factory()
    assert _signin(app, demo_pki).status_code == 200  # the hand-made store works before

    result = app.test_cli_runner().invoke(args=["trust", "import-tsl", http_server.url("/tsl.xml")])
    assert result.exit_code == 0, result.output
    assert "версии 100" in result.output and "удостоверяющих центров: 5" in result.output

    store = tmp_path / "trust"
    meta = json.loads((store / "tsl.json").read_text())
    assert meta["version"] == 100 and len(meta["cas"]) == 5
    demo_meta = meta["cas"][0]
    assert demo_meta["inn"] == "7701000099" and demo_meta["status"] == "Действует"
    assert demo_meta["crl_urls"] == [http_server.url("/ca.crl")]
    assert demo_meta["certificates"][0]["sha256"] == demo_pki.ca("ecdsa").certificate.fingerprint
    # Only the head roots and the listed CAs: the other demo CAs are gone, CRLs carried over.
    with app.app_context():
        loaded = holder().get()
        assert {c.fingerprint for c in loaded.roots} >= {
            demo_pki.ca(a, "root").certificate.fingerprint for a in demo_pki.manifest["algorithms"]
        }
        assert demo_pki.ca("rsa").certificate.fingerprint not in {
            c.fingerprint for c in loaded.intermediates
        }
        assert len(loaded.crls) == 2 * len(demo_pki.manifest["algorithms"])
        assert holder().metadata["version"] == 100
    assert _signin(app, demo_pki).status_code == 200
    refused = _signin(app, demo_pki, alg="rsa")  # its CA is not in the list
    assert refused.status_code == 403

    health = app.test_client().get("/healthz").get_json()
    assert health["trust_store"]["tsl"]["version"] == 100
    from registry.cli import doctor as doctor_command

    doctor = app.test_cli_runner().invoke(doctor_command)
    assert "version 100" in doctor.output, doctor.output


def test_newer_replaces_older_broken_and_empty_are_refused(
    trust_app_factory, demo_pki, tmp_path, db_session, http_server
):
    app = trust_app_factory()
    t = now()
    http_server.routes.update(
        {
            "/good.xml": tsl_xml(200, t - timedelta(days=1), [demo_ca(demo_pki)]),
            "/newer.xml": tsl_xml(201, t, [demo_ca(demo_pki), demo_ca(demo_pki, "rsa")]),
            "/older.xml": tsl_xml(150, t - timedelta(days=9), [demo_ca(demo_pki)]),
            "/broken.xml": tsl_xml(300, t, [demo_ca(demo_pki)])[:-200],
            "/empty.xml": sign_list(
                f"<{ROOT_TAG}><Версия>400</Версия><Дата>2026-12-01</Дата></{ROOT_TAG}>".encode()
            ),
            "/missing.xml": 404,
        }
    )
    store = tmp_path / "trust"
    assert import_tsl(app, http_server.url("/good.xml")).version == 200
    assert store.is_symlink()
    first = os.path.realpath(store)

    result = import_tsl(app, http_server.url("/newer.xml"))
    assert (result.version, result.previous_version, result.cas) == (201, 200, 2)
    second = os.path.realpath(store)
    assert second != first

    runner = app.test_cli_runner()
    for name, message in (
        ("older", "не новее"),
        ("good", "не новее"),
        ("broken", "повреждён"),
        ("empty", "ни одного"),
        ("missing", "HTTP 404"),
    ):
        out = runner.invoke(args=["trust", "import-tsl", http_server.url(f"/{name}.xml")])
        assert out.exit_code != 0 and message in out.output, (name, out.output)
        assert os.path.realpath(store) == second
        assert json.loads((store / "tsl.json").read_text())["version"] == 201
    with app.app_context():
        assert holder().metadata["version"] == 201 and len(holder().get().intermediates) == 2
    # Only the store in use and one previous version are kept.
    assert len([p for p in (tmp_path / ".trust.d").iterdir() if p.is_dir()]) <= 2


def test_ca_not_accredited_is_refused_at_sign_in_and_judged_at_signing_time(
    trust_app_factory, demo_pki, tmp_path, db_session
):
    t = now()
    initial_store(demo_pki, tmp_path / "trust", this_update=t - timedelta(days=2))
    ended = t - timedelta(hours=10)
    ca = demo_ca(
        demo_pki,
        statuses=[
            ("Действует", datetime(2020, 1, 1, tzinfo=MSK), None),
            ("Прекращена", ended, None),
        ],
    )
    app = trust_app_factory()
    source = tmp_path / "tsl.xml"
    source.write_bytes(tsl_xml(10, t, [ca]))
    import_tsl(app, source)

    response = _signin(app, demo_pki)
    assert response.status_code == 403
    assert "Аккредитация удостоверяющего центра «Демо УЦ ECDSA» прекращена" in response.text
    assert "Это не ваша ошибка" in response.text

    leaf = demo_pki.person("employee1", "ecdsa").certificate
    with app.app_context():
        store = holder().get()
        before = decide(leaf, trust_store=store, purpose="signature", at=t - timedelta(hours=20))
        after = decide(leaf, trust_store=store, purpose="signature", at=t - timedelta(hours=5))
    assert before.valid, before.message
    assert after.code == "ca_not_accredited" and after.details["ca"] == "Демо УЦ ECDSA"


def test_real_directory_store_is_exchanged_whole(trust_app_factory, demo_pki, tmp_path, db_session):
    store = initial_store(demo_pki, tmp_path / "trust")
    app = trust_app_factory()
    source = tmp_path / "tsl.xml"
    source.write_bytes(tsl_xml(1, now(), [demo_ca(demo_pki)]))
    import_tsl(app, source)
    assert store.is_dir() and (store / "tsl.json").exists()
    assert not (store / "ca-rsa.crt").exists()
    assert sorted(p.name for p in (store / "crl").iterdir())  # CRLs carried over


def test_document_signature_is_judged_at_its_signing_time(
    trust_app_factory, demo_pki, tmp_path, db_session
):
    """The documents domain's signature check goes through the same accreditation rule."""
    from registry.documents import signatures as S

    from ..documents.conftest import cms_sign

    t = now()
    initial_store(demo_pki, tmp_path / "trust", this_update=t - timedelta(days=2))
    ca = demo_ca(
        demo_pki,
        statuses=[
            ("Действует", datetime(2020, 1, 1, tzinfo=MSK), None),
            ("Приостановлена", t - timedelta(hours=10), None),
        ],
    )
    app = trust_app_factory()
    source = tmp_path / "tsl.xml"
    source.write_bytes(tsl_xml(11, t, [ca]))
    import_tsl(app, source)
    content = "Заявление о регистрации".encode()
    signature = cms_sign(demo_pki, tmp_path, "head", "ecdsa", content)
    with app.app_context():
        store = holder().get()
        signed_then = S.verify_detached(
            signature, content, trust_store=store, at=t - timedelta(hours=20)
        )
        signed_now = S.verify_detached(signature, content, trust_store=store)
    assert signed_then.code == S.OK, signed_then.message
    assert signed_now.code == S.CERTIFICATE
    assert signed_now.certificate.code == "ca_not_accredited"
    assert "«Демо УЦ ECDSA» приостановлена" in signed_now.message


def test_the_shipped_certs_folder_is_never_overwritten(
    trust_app_factory, demo_pki, tmp_path, db_session
):
    from registry.config import PROJECT_ROOT

    app = trust_app_factory(REGISTRY_TRUST_STORE=str(PROJECT_ROOT / "certs"))
    before = sorted(p.name for p in (PROJECT_ROOT / "certs").iterdir())
    source = tmp_path / "tsl.xml"
    source.write_bytes(tsl_xml(1, now(), [demo_ca(demo_pki)]))
    result = app.test_cli_runner().invoke(args=["trust", "import-tsl", str(source)])
    assert result.exit_code != 0 and "REGISTRY_TRUST_STORE" in result.output
    assert sorted(p.name for p in (PROJECT_ROOT / "certs").iterdir()) == before


def test_real_list_with_the_shipped_head_roots(trust_app_factory, tmp_path, db_session):
    """A list of the real accredited CAs of ../shared/data/real-pki over the shipped roots."""
    from registry.config import PROJECT_ROOT
    from registry.trust.status import trust_status

    cas, _roots = _real_cas(limit=200)
    app = trust_app_factory(REGISTRY_TRUST_HEAD_ROOTS=str(PROJECT_ROOT / "certs"))
    source = tmp_path / "tsl.xml"
    source.write_bytes(tsl_xml(900, now(), cas))
    result = import_tsl(app, source)
    assert result.cas == len(cas) >= 100 and result.problems == []
    shipped = {
        load_certificate(der_of(p)).fingerprint for p in (PROJECT_ROOT / "certs").glob("*.crt")
    }
    assert result.head_roots == len(shipped) >= 4
    with app.app_context():
        loaded = holder().get()
        assert {c.fingerprint for c in loaded.roots} == shipped
        assert {c.fingerprint for c in loaded.intermediates} == {
            load_certificate(ca.certificates[0]).fingerprint for ca in cas
        }
        assert holder().problems == ()
        status = trust_status()
    listed = [c for c in status["cas"] if c["listed"]]
    assert len(listed) == len(cas) and all(c["accredited"] for c in listed)
    assert all(c["crl_state"] == "none" for c in listed)  # no CRL fetched yet


def test_another_certificate_of_a_listed_key_is_judged_like_the_listed_one(demo_pki):
    from registry.pki.builder import build_certificate, load_key
    from registry.trust.accreditation import AccreditationIndex

    t = now()
    ca = demo_ca(
        demo_pki,
        statuses=[
            ("Действует", datetime(2020, 1, 1, tzinfo=MSK), None),
            ("Прекращена", t - timedelta(days=1), None),
        ],
    )
    listed = demo_pki.ca("ecdsa").certificate
    root = demo_pki.ca("ecdsa", "root")
    reissued = load_certificate(
        build_certificate(
            subject=[("C", "RU"), ("O", "Демо УЦ ECDSA"), ("CN", "Демо УЦ (ECDSA)")],
            subject_key=load_key("ecdsa", demo_pki.ca("ecdsa").key_path.read_bytes()),
            issuer_key=load_key("ecdsa", root.key_path.read_bytes()),
            issuer=root.certificate.asn1,
            not_before=t - timedelta(days=1),
            not_after=t + timedelta(days=30),
            ca=True,
            path_len=0,
            key_usage={"key_cert_sign", "crl_sign"},
        ).dump()
    )
    assert reissued.fingerprint != listed.fingerprint
    parsed = parse_tsl(tsl_xml(1, t, [ca]))
    metadata = {
        "version": 1,
        "date": t.isoformat(),
        "cas": [
            {
                "name": ca.name,
                "short_name": ca.short_name,
                "inn": ca.inn,
                "ogrn": ca.ogrn,
                "periods": [
                    {
                        "status": p.status,
                        "from": p.start.isoformat(),
                        "to": p.end.isoformat() if p.end else None,
                    }
                    for p in parsed.cas[0].periods
                ],
                "certificates": [
                    {"sha256": listed.fingerprint, "key_id": listed.asn1.key_identifier.hex()}
                ],
            }
        ],
    }
    index = AccreditationIndex.from_metadata(metadata)
    assert index.lookup(reissued).title == "Демо УЦ ECDSA"
    assert index.problem([reissued], t)[1] == "Прекращена"
    assert index.problem([reissued], t - timedelta(days=2)) is None
    assert index.lookup(root.certificate) is None


def test_one_verdict_for_a_ca_whose_accreditation_ended(
    trust_app_factory, demo_pki, tmp_path, db_session
):
    """Sign-in, `registry cert verify` (the configured store and a store given by --trust)
    and `registry trust status` agree: the CA's accreditation ended, so the certificate is
    refused everywhere with the same reason."""
    from registry.trust.status import trust_status

    from ..helpers import run_registry

    t = now()
    initial_store(demo_pki, tmp_path / "trust", this_update=t - timedelta(days=2))
    ca = demo_ca(
        demo_pki,
        statuses=[
            ("Действует", datetime(2020, 1, 1, tzinfo=MSK), None),
            ("Прекращена", t - timedelta(hours=10), None),
        ],
    )
    app = trust_app_factory()
    source = tmp_path / "tsl.xml"
    source.write_bytes(tsl_xml(12, t, [ca]))
    import_tsl(app, source)

    signin = _signin(app, demo_pki)
    assert signin.status_code == 403
    refusal = "Аккредитация удостоверяющего центра «Демо УЦ ECDSA» прекращена"
    assert refusal in signin.text

    cert = demo_pki.person("employee1", "ecdsa").cert_path
    env = {"REGISTRY_TRUST_STORE": str(tmp_path / "trust"),
           "REGISTRY_INSTANCE_PATH": str(tmp_path / "cli-instance"),
           "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}"}
    configured = run_registry("cert", "verify", "--json", str(cert), cwd=tmp_path, **env)
    assert configured.returncode == 1, configured.stdout + configured.stderr
    verdict = json.loads(configured.stdout)
    assert verdict["valid"] is False and verdict["code"] == "ca_not_accredited"
    assert refusal in verdict["message"]
    given = run_registry("cert", "verify", "--trust", str(tmp_path / "trust"), str(cert),
                         cwd=tmp_path, **env)
    assert given.returncode == 1 and "[ca_not_accredited]" in given.stdout
    # Before the accreditation ended the same command says «valid», as sign-in would have.
    earlier = (t - timedelta(hours=20)).isoformat()
    assert run_registry("cert", "verify", "--at", earlier, str(cert), cwd=tmp_path,
                        **env).returncode == 0

    with app.app_context():
        listed = [c for c in trust_status()["cas"] if c["name"] == "Демо УЦ ECDSA"]
    assert listed and listed[0]["accredited"] is False
    assert listed[0]["accreditation"] == "Прекращена"


def test_the_import_counts_accreditation_as_the_decision_reads_it(demo_pki):
    """A termination announced for tomorrow leaves the CA accredited today, for the import's
    count as for sign-in; one that took effect yesterday ends it for both."""
    from registry.trust.accreditation import ca_from_metadata

    t = now()
    later = demo_ca(demo_pki, statuses=[("Действует", datetime(2020, 1, 1, tzinfo=MSK), None),
                                        ("Прекращена", t + timedelta(days=1), None)])
    ended = demo_ca(demo_pki, statuses=[("Действует", datetime(2020, 1, 1, tzinfo=MSK), None),
                                        ("Прекращена", t - timedelta(days=1), None)])
    for listed, accredited in ((later, True), (ended, False)):
        [ca] = parse_tsl(tsl_xml(1, t, [listed])).cas
        assert ca.active is accredited
        periods = [{"status": p.status, "from": p.start and p.start.isoformat(),
                    "to": p.end and p.end.isoformat()} for p in ca.periods]
        decided = ca_from_metadata({"periods": periods}).status_at(t)
        assert (decided == "Действует") is accredited
