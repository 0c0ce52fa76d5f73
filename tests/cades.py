"""CAdES test signatures made by the project's own test PKI: BES (attached or detached, with or
without signed attributes), T (a signature time-stamp by a test TSA at a chosen moment), X Long
Type 1 (certificate and revocation references and values, a CAdES-C time-stamp), A (an archive
time-stamp), several signers and counter-signatures. GOST keys sign through registry.pki.gost;
openssl with the GOST engine checks the result (tests/pki/ades)."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from datetime import datetime, timedelta

from asn1crypto import algos, cms, core, pem, tsp, x509

from registry.extensions import utcnow
from registry.pki import load_certificate
from registry.pki.ades import cms as ades_cms
from registry.pki.builder import KeyPair, build_certificate, generate_key, load_key
from registry.pki.demo_pki import CRL_URL, person_subject

DIGESTS = {"gost256": "streebog256", "gost512": "streebog512", "rsa": "sha256", "ecdsa": "sha256"}


def digest(name: str, data: bytes) -> bytes:
    if name.startswith("streebog"):
        from registry.pki.gost import backend

        return backend().streebog(int(name[-3:]), data)
    return hashlib.new(name, data).digest()


@dataclass
class Party:
    """A key with its certificate (and the CA certificates above it)."""

    alg: str
    key: KeyPair
    cert: x509.Certificate
    chain: tuple[x509.Certificate, ...] = ()


def party(demo_pki, kind: str, name: str, alg: str) -> Party:
    """``kind`` "person" or "special"; the chain is the demo CA (and root)."""
    item = demo_pki.person(name, alg) if kind == "person" else demo_pki.special(name, alg)
    return Party(alg, load_key(alg, item.key_path.read_bytes()), load_certificate(item.cert_path.read_bytes()).asn1,
                 _chain(demo_pki, alg))


def _chain(demo_pki, alg: str) -> tuple[x509.Certificate, ...]:
    return tuple(load_certificate(demo_pki.ca(alg, level).cert_path.read_bytes()).asn1 for level in ("ca", "root"))


def issue(demo_pki, alg: str, *, not_before: datetime, not_after: datetime, name: str = "employee1",
          tsa: bool = False) -> Party:
    """A certificate of the demo CA with the given validity (a person's, or a TSA's)."""
    ca = demo_pki.ca(alg)
    ca_key = load_key(alg, ca.key_path.read_bytes())
    ca_cert = load_certificate(ca.cert_path.read_bytes()).asn1
    key = generate_key(alg)
    extra: dict = ({"extended_key_usage": ("time_stamping",), "extended_key_usage_critical": True,
                    "key_usage": ("digital_signature", "non_repudiation")} if tsa else
                   {"key_usage": ("digital_signature", "non_repudiation")})
    subject = ([("C", "RU"), ("O", "АО «ДЕМО-УЦ»"), ("CN", "Служба штампов времени ДЕМО")] if tsa
               else person_subject(name))
    cert = build_certificate(subject=subject, subject_key=key, issuer_key=ca_key, issuer=ca_cert,
                             not_before=not_before, not_after=not_after,
                             crl_url=CRL_URL.format(name=f"ca-{alg}"), **extra)
    return Party(alg, key, cert, _chain(demo_pki, alg))


def _signer_info(signer: Party, content: bytes | None, *, signing_time: datetime | None,
                 content_type: str = "data", attrs: bool = True) -> cms.SignerInfo:
    md = DIGESTS[signer.alg]
    sid = cms.SignerIdentifier({"issuer_and_serial_number": cms.IssuerAndSerialNumber(
        {"issuer": signer.cert.issuer, "serial_number": signer.cert.serial_number})})
    algorithm = signer.key.signature_algorithm()
    if not attrs:
        assert content is not None and not signer.alg.startswith("gost") or content is not None
        signature = signer.key.sign(content or b"")
        return cms.SignerInfo({"version": "v1", "sid": sid, "digest_algorithm": {"algorithm": md},
                               "signature_algorithm": algorithm, "signature": signature})
    items = [
        cms.CMSAttribute({"type": "content_type", "values": [content_type]}),
        cms.CMSAttribute({"type": "message_digest", "values": [digest(md, content or b"")]}),
        cms.CMSAttribute({"type": "signing_certificate_v2", "values": [tsp.SigningCertificateV2({"certs": [
            tsp.ESSCertIDv2({"hash_algorithm": {"algorithm": md}, "cert_hash": digest(md, signer.cert.dump())})]})]}),
    ]
    if signing_time is not None:
        items.insert(1, cms.CMSAttribute({"type": "signing_time", "values": [cms.Time({"utc_time": signing_time})]}))
    signed_attrs = cms.CMSAttributes(items)
    signature = signer.key.sign(b"\x31" + signed_attrs.dump()[1:])
    return cms.SignerInfo({"version": "v1", "sid": sid, "digest_algorithm": {"algorithm": md},
                           "signed_attrs": signed_attrs, "signature_algorithm": algorithm,
                           "signature": signature})


def sign(content: bytes, *signers: Party, attached: bool = False, signing_time: datetime | None = None,
         attrs: bool = True, extra_certs: int = 0) -> bytes:
    """A CAdES-BES (or, with ``attrs=False``, plain CMS) signature by every one of ``signers``."""
    moment = signing_time or utcnow()
    infos = [_signer_info(s, content, signing_time=moment, attrs=attrs) for s in signers]
    certs: list = []
    for s in signers:
        for c in (s.cert, *s.chain):
            if all(c.dump() != o.dump() for o in certs):
                certs.append(c)
    certs.extend(_filler_cert(signers[0]) for _ in range(extra_certs))
    signed = cms.SignedData({
        "version": "v1",
        "digest_algorithms": list({DIGESTS[s.alg]: {"algorithm": DIGESTS[s.alg]} for s in signers}.values()),
        "encap_content_info": {"content_type": "data", "content": content if attached else None},
        "certificates": [cms.CertificateChoices({"certificate": c}) for c in certs],
        "signer_infos": infos,
    })
    return cms.ContentInfo({"content_type": "signed_data", "content": signed}).dump()


def _filler_cert(signer: Party) -> x509.Certificate:
    return signer.cert


def time_stamp_token(data: bytes, tsa: Party, at: datetime) -> cms.ContentInfo:
    """A time-stamp token over ``data`` by ``tsa``, saying ``at``."""
    md = DIGESTS[tsa.alg]
    info = tsp.TSTInfo({
        "version": "v1", "policy": "1.2.643.100.113.1",
        "message_imprint": {"hash_algorithm": {"algorithm": md}, "hashed_message": digest(md, data)},
        "serial_number": int.from_bytes(os.urandom(8), "big"), "gen_time": at,
    })
    raw = info.dump()
    signer_info = _signer_info(tsa, raw, signing_time=at, content_type="tst_info")
    signed = cms.SignedData({
        "version": "v3", "digest_algorithms": [{"algorithm": md}],
        "encap_content_info": {"content_type": "tst_info", "content": core.ParsableOctetString(raw)},
        "certificates": [cms.CertificateChoices({"certificate": c}) for c in (tsa.cert, *tsa.chain)],
        "signer_infos": [signer_info],
    })
    return cms.ContentInfo({"content_type": "signed_data", "content": signed})


def _edit(signature: bytes, index: int, add: list[cms.CMSAttribute]) -> bytes:
    info = cms.ContentInfo.load(signature)
    signer_info = info["content"]["signer_infos"][index]
    old = list(signer_info["unsigned_attrs"]) if signer_info["unsigned_attrs"] else []
    signer_info["unsigned_attrs"] = cms.CMSAttributes(old + add)
    return info.dump(force=True)


def add_time_stamp(signature: bytes, tsa: Party, at: datetime, *, index: int = 0) -> bytes:
    """CAdES-T: a signature time-stamp over signer ``index``'s signature value."""
    value = cms.ContentInfo.load(signature)["content"]["signer_infos"][index]["signature"].native
    token = time_stamp_token(value, tsa, at)
    return _edit(signature, index, [cms.CMSAttribute({"type": "signature_time_stamp_token", "values": [token]})])


def _crls(demo_pki, alg: str) -> list:
    from registry.pki import load_crl

    return [load_crl(demo_pki.trust_dir.joinpath(f"{level}-{alg}.crl").read_bytes()) for level in ("ca", "root")]


def to_x_long(signature: bytes, demo_pki, tsa: Party, at: datetime, *, index: int = 0,
              revocation_copies: int = 1, crls: list | None = None, ocsps: tuple = ()) -> bytes:
    """CAdES-X Long Type 1 from a CAdES-T: complete references, a CAdES-C time-stamp over them,
    and the certificate and revocation values of the signer's chain (the demo CRLs, or the
    given ``crls`` and basic OCSP responses ``ocsps``)."""
    info = cms.ContentInfo.load(signature)
    signed = info["content"]
    signer_info = signed["signer_infos"][index]
    alg = tsa.alg
    md = DIGESTS[alg]
    certs = [c.chosen for c in signed["certificates"] if c.name == "certificate"]
    crls = _crls(demo_pki, alg) if crls is None else crls
    cert_refs = ades_cms.CompleteCertificateRefs([
        {"other_cert_hash": {"hash_algorithm": {"algorithm": md}, "hash_value": digest(md, c.dump())}}
        for c in certs[1:]])
    rev_refs = ades_cms.CompleteRevocationRefs([{"crlids": [
        {"crl_hash": {"hash_algorithm": {"algorithm": md}, "hash_value": digest(md, crl.dump())}}
        for crl in crls]}])
    refs = [cms.CMSAttribute({"type": ades_cms.CERTIFICATE_REFS, "values": [cert_refs]}),
            cms.CMSAttribute({"type": ades_cms.REVOCATION_REFS, "values": [rev_refs]})]
    unsigned = list(signer_info["unsigned_attrs"] or [])
    stamped = signer_info["signature"].native + b"".join(a.dump() for a in unsigned if
                                                         a["type"].native == "signature_time_stamp_token")
    c_stamp = time_stamp_token(stamped + b"".join(a.dump() for a in refs), tsa, at)
    values = [
        cms.CMSAttribute({"type": ades_cms.ESC_TIME_STAMP, "values": [c_stamp]}),
        cms.CMSAttribute({"type": ades_cms.CERTIFICATE_VALUES, "values": [
            ades_cms.CertificateValues(certs + list(tsa.chain[:0]))]}),
        cms.CMSAttribute({"type": ades_cms.REVOCATION_VALUES, "values": [
            ades_cms.RevocationValues({"crl_vals": crls * revocation_copies,
                                       **({"ocsp_vals": list(ocsps)} if ocsps else {})})]}),
    ]
    return _edit(signature, index, refs + values)


def ca_party(demo_pki, alg: str) -> Party:
    """The demo CA that issues people's certificates, with its key."""
    ca = demo_pki.ca(alg)
    return Party(alg, load_key(alg, ca.key_path.read_bytes()), load_certificate(ca.cert_path.read_bytes()).asn1,
                 _chain(demo_pki, alg)[1:])


def crl_revoking(issuer: Party, base, serial: int, revoked_at: datetime, *, forge: bool = False):
    """``base`` (a CRL of ``issuer``) also listing ``serial`` as revoked at ``revoked_at``, signed
    again by the issuer, or (``forge``) keeping the old signature, which no longer matches."""
    from asn1crypto import crl as asn1_crl

    crl = asn1_crl.CertificateList.load(base.dump())
    tbs = crl["tbs_cert_list"]
    entries = list(tbs["revoked_certificates"] or [])
    entries.append(asn1_crl.RevokedCertificate({"user_certificate": serial, "revocation_date": x509.Time(
        {"utc_time": revoked_at})}))
    tbs["revoked_certificates"] = asn1_crl.RevokedCertificates(entries)
    if not forge:
        crl["signature"] = issuer.key.sign(tbs.dump(force=True))
    return asn1_crl.CertificateList.load(crl.dump(force=True))


def ocsp_response(issuer: Party, cert: x509.Certificate, *, produced_at: datetime, status: str = "good",
                  forge: bool = False):
    """A basic OCSP response (RFC 6960) by the issuer itself about ``cert``."""
    from asn1crypto import ocsp

    cert_id = ocsp.CertId({
        "hash_algorithm": {"algorithm": "sha1"},
        "issuer_name_hash": hashlib.sha1(issuer.cert.subject.dump()).digest(),
        "issuer_key_hash": hashlib.sha1(issuer.cert.public_key["public_key"].contents[1:]).digest(),
        "serial_number": cert.serial_number})
    tbs = ocsp.ResponseData({
        "responder_id": {"by_name": issuer.cert.subject}, "produced_at": produced_at,
        "responses": [{"cert_id": cert_id, "cert_status": ocsp.CertStatus(name=status, value=core.Null()),
                       "this_update": produced_at, "next_update": produced_at + timedelta(days=1)}]})
    signature = issuer.key.sign(tbs.dump())
    if forge:
        signature = bytes([signature[0] ^ 1]) + signature[1:]
    return ocsp.BasicOCSPResponse({"tbs_response_data": tbs, "signature_algorithm": issuer.key.signature_algorithm(),
                                   "signature": signature})


def to_archive(signature: bytes, tsa: Party, at: datetime, *, index: int = 0) -> bytes:
    """CAdES-A: an archive time-stamp (v2) over the signature as it is."""
    value = cms.ContentInfo.load(signature)["content"]["signer_infos"][index]["signature"].native
    token = time_stamp_token(value, tsa, at)
    return _edit(signature, index, [cms.CMSAttribute({"type": ades_cms.ARCHIVE_TIME_STAMP_V2, "values": [token]})])


def countersign(signature: bytes, signer: Party, *, index: int = 0) -> bytes:
    """A counter-signature of signer ``index``'s signature value."""
    value = cms.ContentInfo.load(signature)["content"]["signer_infos"][index]["signature"].native
    counter = _signer_info(signer, value, signing_time=utcnow())
    # asn1crypto maps counter_signature values to SignerInfo.
    return _edit(signature, index, [cms.CMSAttribute({"type": "counter_signature", "values": [counter]})])


def pem_armor(signature: bytes) -> bytes:
    return pem.armor("CMS", signature)


def ago(**kw) -> datetime:
    return utcnow() - timedelta(**kw)


_ = algos
