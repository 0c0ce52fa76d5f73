"""The files an МЧД arrives in — a detached signature in DER, PEM or bare base64, an attached
signature carrying the XML, a ZIP as the registry hands it out or as WinRAR/WinZip pack it — and
what is refused within a second with a Russian message: wrong encodings, ZIP bombs, encrypted
archives, files over the limit; the signing time proven by a CAdES-T time-stamp."""

from __future__ import annotations

import base64
import io
import time
import zipfile
from datetime import datetime, timedelta, timezone

import pytest

from registry.mchd import messages as M
from registry.mchd import model, package
from registry.mchd import verify as V

from ..tsa import add_signature_time_stamp, issue_tsa
from .builder import build, sign


def check(xml, sig, context, **kwargs):
    return V.verify(xml, sig, context=context(), **kwargs)


def _zip(entries: dict[str, bytes], *, method=zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return out.getvalue()


def _dos_names(data: bytes, names: dict[str, str]) -> bytes:
    """The archive as WinRAR or WinZip writes it: names in cp866, without the UTF-8 flag
    (``names``: the ASCII placeholder written → the Russian name it stands for)."""
    for placeholder, name in names.items():
        encoded = name.encode("cp866")
        assert len(encoded) == len(placeholder)
        data = data.replace(placeholder.encode(), encoded)
    return data


@pytest.mark.parametrize("form", ["der", "pem", "base64"])
def test_a_detached_signature_in_every_encoding_cryptopro_saves(form, head, context):
    xml, name = build()
    der = sign(xml, head)
    sig = {"der": der, "pem": sign(xml, head, pem=True),
           "base64": base64.encodebytes(der)}[form]
    result = check(xml, sig, context, file_name=name + ".xml")
    assert result.valid, result.message


def test_an_attached_signature_carries_the_xml(head, context):
    xml, name = build()
    attached = sign(xml, head, attached=True)
    result = check(attached, None, context, file_name=name + ".xml.sig")
    assert result.valid, result.message
    assert result.xml == xml and result.file_name == name + ".xml"


def test_a_zip_package_as_the_registry_hands_it_out(head, context):
    xml, name = build()
    data = _zip({f"{name}.xml": xml, f"{name}.xml.sig": sign(xml, head)})
    result = check(data, None, context, file_name="доверенность.zip")
    assert result.valid, result.message
    assert result.file_name == f"{name}.xml"


def test_a_zip_made_by_winrar_with_russian_folder_and_names(head, context):
    xml, name = build()
    placeholder = {"DOVERENNOSTI": "Доверенность", "OPISANIE": "Описание"}
    data = _dos_names(_zip({f"DOVERENNOSTI/{name}.xml": xml, f"DOVERENNOSTI/{name}.xml.sig": sign(xml, head),
                            "DOVERENNOSTI/OPISANIE.txt": "Доверенность сотрудника".encode("cp1251")}),
                      placeholder)
    infos = zipfile.ZipFile(io.BytesIO(data)).infolist()
    assert not any(i.flag_bits & 0x800 for i in infos)
    assert package._entry_name(infos[2]) == "Описание.txt"
    result = check(data, None, context, file_name="Доверенность.zip")
    assert result.valid, result.message


def test_a_package_with_the_parent_of_a_redelegation(head, employee, context):
    parent_xml, parent_name = build(redelegation="2")
    from registry.mchd import document

    number = document.read(parent_xml).number
    child_xml, child_name = build(signatory=None, delegator="employee1", representative="ip",
                                  redelegation="1", parent=number,
                                  powers=[("DMDK_APPLICATIONS", "Работа с заявлениями")])
    data = _zip({f"{parent_name}.xml": parent_xml, f"{parent_name}.xml.sig": sign(parent_xml, head),
                 f"{child_name}.xml": child_xml, f"{child_name}.xml.sig": sign(child_xml, employee)})
    result = check(data, None, context)
    assert result.valid, result.message
    assert result.number == document.read(child_xml).number and result.parent.number == number


def _timed(callable_):
    started = time.monotonic()
    value = callable_()
    assert time.monotonic() - started < 1
    return value


def test_a_zip_bomb_stops_at_the_limit(context):
    bomb = _zip({"ON_EMCHD_bomb.xml": b"<" + b"\0" * (200 << 20)})
    assert len(bomb) < 1 << 20
    result = _timed(lambda: check(bomb, None, context))
    assert result.code == model.PACKAGE and "больше 1024 КБ" in result.message


def test_an_encrypted_zip_is_refused(head, context):
    xml, name = build()
    data = bytearray(_zip({f"{name}.xml": xml, f"{name}.xml.sig": sign(xml, head)}, method=zipfile.ZIP_STORED))
    # the «encrypted» flag of every local and central header (as a password-protected archive)
    for magic, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.find(magic)
        while at != -1:
            data[at + offset] |= 0x1
            at = data.find(magic, at + 4)
    result = _timed(lambda: check(bytes(data), None, context))
    assert result.code == model.PACKAGE and "зашифрован паролем" in result.message


def test_a_zip_without_an_xml(context):
    result = check(_zip({"readme.txt": b"hello"}), None, context)
    assert result.code == model.PACKAGE and "нет XML-файла доверенности" in result.message


def test_a_zip_in_the_signature_field(head, context):
    xml, _ = build()
    result = check(xml, _zip({"a.sig": sign(xml, head)}), context)
    assert result.code == model.PACKAGE and "вместо файла подписи загружен архив" in result.message


def test_no_signature_at_all(context):
    xml, _ = build()
    result = check(xml, None, context)
    assert result.code == M.UNREADABLE_SIGNATURE and "файл подписи не загружен" in result.message


@pytest.mark.parametrize(("fmt", "declared", "said"), [
    ("002", "UTF-8", "вероятно, windows-1251"), ("003", "windows-1251", "а файл записан в UTF-8"),
    ("003", "koi8-x", "неизвестная кодировка"), ("003", "ISO-8859-5", "не используется в доверенностях")])
def test_a_wrong_encoding_declaration(fmt, declared, said, context):
    xml, _ = build(fmt)
    original = b"windows-1251" if fmt == "002" else b"UTF-8"
    data = xml.replace(b"encoding='" + original + b"'", b"encoding='" + declared.encode() + b"'", 1)
    result = _timed(lambda: check(data, b"", context))
    assert result.code == model.ENCODING and said in result.message


@pytest.mark.parametrize("size", [2 << 20, 15 << 20])
def test_a_file_over_the_limit_says_its_real_size(size, context):
    result = _timed(lambda: check(b"<" + b" " * (size - 1), b"", context))
    assert result.code == model.TOO_LARGE
    assert f"{size // 1024} КБ при допустимых 1024 КБ" in result.message


# -- CAdES-T: the time-stamp proves the signing time ---------------------------------------------
@pytest.fixture(scope="module")
def tsa(demo_pki, tmp_path_factory):
    return issue_tsa(demo_pki, tmp_path_factory.mktemp("tsa"))


def test_cades_t_proves_the_signing_time(head, tsa, context):
    xml, _ = build()
    signature = add_signature_time_stamp(sign(xml, head), tsa)
    result = check(xml, signature, context)
    assert result.valid, result.message
    assert result.time_proven
    [stamp] = [c for c in result.checks if c.name == "time"]
    assert not stamp.warning and "подтверждено штампом времени (CAdES-T)" in stamp.message
    assert "Служба штампов времени ДЕМО" in stamp.message
    assert abs(result.signing_time - datetime.now(timezone.utc)) < timedelta(minutes=5)


def test_a_certificate_that_expired_after_the_proven_time_leaves_the_mchd_valid(head, tsa, context):
    xml, _ = build(until=datetime.now().date() + timedelta(days=3 * 365))
    signature = add_signature_time_stamp(sign(xml, head), tsa)
    later = datetime.now(timezone.utc) + timedelta(days=2 * 365)  # the head's certificate has expired
    assert head.certificate.not_after < later
    result = V.verify(xml, signature, at=later, context=context())
    assert result.valid, result.message
    assert result.time_proven


def test_a_time_stamp_of_another_signature_is_refused(head, tsa, context):
    xml, _ = build()
    forged = add_signature_time_stamp(sign(xml, head), tsa, over=b"another signature value")
    result = check(xml, forged, context)
    assert result.code == M.TIME_STAMP and "поставлен не на эту подпись" in result.message
    assert "Время подписания не доказано" in result.message


def test_openssl_agrees_on_the_cades_t_signature_and_its_time_stamp(head, tsa, demo_pki, tmp_path):
    import subprocess

    from asn1crypto import cms

    from registry.pki import tsp

    from ..tsa import OPENSSL_CONF

    xml, _ = build()
    signature = add_signature_time_stamp(sign(xml, head), tsa)
    chain = tmp_path / "chain.pem"
    chain.write_bytes(demo_pki.ca("gost256", "root").cert_path.read_bytes()
                      + demo_pki.ca("gost256").cert_path.read_bytes())
    (tmp_path / "m.xml").write_bytes(xml)
    (tmp_path / "m.sig").write_bytes(signature)
    signer_info = cms.ContentInfo.load(signature)["content"]["signer_infos"][0]
    (tmp_path / "value").write_bytes(signer_info["signature"].native)
    (tmp_path / "token.der").write_bytes(tsp.signature_time_stamps(signer_info)[0].dump())
    env = {"OPENSSL_CONF": str(OPENSSL_CONF), "PATH": "/usr/bin:/bin"}
    run = [["openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in", "m.sig", "-content", "m.xml",
            "-CAfile", str(chain), "-purpose", "any", "-out", "/dev/null"],
           ["openssl", "ts", "-verify", "-data", "value", "-in", "token.der", "-token_in", "-CAfile", str(chain)]]
    for command in run:
        done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
    # and the other way: the product refuses what openssl refuses (a token over other bytes)
    (tmp_path / "value").write_bytes(b"another signature value")
    done = subprocess.run(run[1], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert tsp.check_time_stamp(tsp.signature_time_stamps(signer_info)[0], b"another signature value").code \
        == tsp.MISMATCH
