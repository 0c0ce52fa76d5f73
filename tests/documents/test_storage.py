"""The file store under hostile uploads: size, type, names, interruption."""

from __future__ import annotations

import io
import zipfile

import pytest

from registry.documents import storage as St

from .pdfs import plain_pdf


def docx_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


def leftovers(root):
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


@pytest.mark.parametrize("name,data,kind", [
    ("устав.pdf", plain_pdf(), "pdf"),
    ("скан.PNG", b"\x89PNG\r\n\x1a\n" + b"\0" * 100, "png"),
    ("photo.jpeg", b"\xff\xd8\xff\xe0" + b"\0" * 100, "jpeg"),
    ("договор.docx", docx_bytes(), "docx"),
    ("выписка.xml", '<?xml version="1.0" encoding="windows-1251"?><Файл/>'.encode("cp1251"), "xml"),
])
def test_accepted_types_are_stored_atomically(tmp_path, name, data, kind):
    stored = St.save_upload(io.BytesIO(data), name, root=tmp_path)
    assert stored.kind == kind and stored.size == len(data) and stored.original_name == name
    assert St.path_of(stored.key, root=tmp_path).read_bytes() == data
    assert leftovers(tmp_path) == [stored.key]


def test_detached_signature_is_recognised_by_content(tmp_path, demo_pki):
    import subprocess
    source, sig = tmp_path / "doc.bin", tmp_path / "doc.sig"
    source.write_bytes(b"content")
    person = demo_pki.person("head", "ecdsa")
    subprocess.run(["openssl", "cms", "-sign", "-binary", "-in", source, "-signer", person.cert_path,
                    "-inkey", person.key_path, "-outform", "DER", "-out", sig], check=True, capture_output=True)
    store = tmp_path / "store"
    assert St.save_upload(io.BytesIO(sig.read_bytes()), "doc.pdf.sig", root=store).kind == "cms"
    with pytest.raises(St.UploadError, match="не похоже"):
        St.save_upload(io.BytesIO(b"\x30\x82garbage" * 10), "fake.sig", root=store)


def test_oversize_upload_is_refused_and_leaves_nothing(tmp_path):
    with pytest.raises(St.UploadError, match="больше допустимых 1 МБ"):
        St.save_upload(io.BytesIO(b"%PDF-" + b"x" * (1024 * 1024)), "big.pdf", root=tmp_path,
                       max_bytes=1024 * 1024)
    assert leftovers(tmp_path) == []


def test_wrong_type_behind_a_pdf_name(tmp_path):
    with pytest.raises(St.UploadError, match="внутри изображение PNG"):
        St.save_upload(io.BytesIO(b"\x89PNG\r\n\x1a\n" + b"\0" * 50), "отчёт.pdf", root=tmp_path)
    with pytest.raises(St.UploadError, match="не похоже"):
        St.save_upload(io.BytesIO(b"MZ\x90\x00 executable"), "invoice.pdf", root=tmp_path)
    with pytest.raises(St.UploadError, match="не принимаются"):
        St.save_upload(io.BytesIO(plain_pdf()), "run.exe", root=tmp_path)
    assert leftovers(tmp_path) == []


def test_empty_file(tmp_path):
    with pytest.raises(St.UploadError, match="пустой"):
        St.save_upload(io.BytesIO(b""), "empty.pdf", root=tmp_path)
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("name,expected", [
    ("../../etc/passwd.pdf", "passwd.pdf"),
    ("..\\..\\windows\\system32\\a.pdf", "a.pdf"),
    ("/abs/path/устав 2024.pdf", "устав 2024.pdf"),
    ("\x00\x1bevil\r\n.pdf", "evil.pdf"),
    ('"<script>".pdf', "script.pdf"),
    ("....pdf", "документ.pdf"),
    (".hidden", "документ.hidden"),
    ("", "документ"),
    ("a" * 300 + ".pdf", "a" * 116 + ".pdf"),
])
def test_safe_names(name, expected):
    assert St.safe_name(name) == expected


def test_traversal_names_never_leave_the_store(tmp_path):
    store = tmp_path / "store"
    stored = St.save_upload(io.BytesIO(plain_pdf()), "../../../../tmp/evil.pdf", root=store)
    assert stored.original_name == "evil.pdf"
    assert St.path_of(stored.key, root=store).resolve().is_relative_to(store.resolve())
    for key in ("../x", "ab/../../etc/passwd", "/etc/passwd", "ab/" + "0" * 29, ""):
        with pytest.raises(ValueError):
            St.path_of(key, root=store)


class Interrupted(io.RawIOBase):
    """A request body whose connection drops after some bytes."""

    def __init__(self, data: bytes, fail_after: int):
        self.data, self.fail_after, self.pos = data, fail_after, 0

    def readable(self):
        return True

    def read(self, n=-1):
        if self.pos >= self.fail_after:
            raise OSError("client disconnected")
        chunk = self.data[self.pos:self.pos + min(n, self.fail_after - self.pos)]
        self.pos += len(chunk)
        return chunk


def test_interrupted_upload_leaves_nothing(tmp_path):
    with pytest.raises(OSError):
        St.save_upload(Interrupted(plain_pdf() * 1000, 70_000), "big.pdf", root=tmp_path)
    assert leftovers(tmp_path) == []
