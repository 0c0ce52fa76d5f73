"""Hostile archives: typing an office document reads a few kilobytes, whatever it inflates to."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from registry.documents import storage as St

ODT = "application/vnd.oasis.opendocument.text"
GIB = 1024 ** 3


@pytest.fixture(scope="module")
def odt_bomb(tmp_path_factory) -> Path:
    """A ≈1 MB .odt whose ``mimetype`` member inflates to 1 GiB (the type, then spaces)."""
    path = tmp_path_factory.mktemp("bomb") / "bomb.odt"
    chunk = b" " * (1 << 20)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        with z.open("mimetype", "w") as member:
            member.write(ODT.encode())
            for _ in range(GIB // len(chunk)):
                member.write(chunk)
        z.writestr("content.xml", "<office:document-content/>")
    assert path.stat().st_size < 2 * 1024 * 1024
    return path


CHECK = r"""
import io, json, sys
from pathlib import Path
from registry.documents import storage

def peak_kib():
    # VmHWM: this process's own high-water mark (ru_maxrss would include the parent's before exec).
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])

path = Path(sys.argv[1])
before = peak_kib()
with path.open("rb") as f:
    try:
        kind = storage.save_upload(f, path.name, root=sys.argv[2]).kind
    except storage.UploadError as exc:
        kind = "refused: " + str(exc)
after = peak_kib()
print(json.dumps({"kind": kind, "before_kib": before, "peak_kib": after}))
"""


def test_zip_bomb_is_typed_in_bounded_memory(odt_bomb, tmp_path):
    # Peak resident memory of a fresh process doing the upload's type check (not the time).
    done = subprocess.run([sys.executable, "-c", CHECK, str(odt_bomb), str(tmp_path / "store")],
                          capture_output=True, text=True, timeout=120, check=True)
    report = json.loads(done.stdout)
    assert report["kind"] == "odt"
    assert report["peak_kib"] < 100 * 1024, report
    assert report["peak_kib"] - report["before_kib"] < 32 * 1024, report


def test_mimetype_that_is_not_only_the_type_is_refused(tmp_path):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("mimetype", ODT + "\0" * 100000)
    with pytest.raises(St.UploadError, match="не похоже"):
        St.save_upload(io.BytesIO(out.getvalue()), "x.odt", root=tmp_path)


def test_members_compressed_without_bounded_reads_are_not_inflated(tmp_path):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_BZIP2) as z:
        z.writestr("mimetype", ODT)
    with pytest.raises(St.UploadError, match="не похоже"):
        St.save_upload(io.BytesIO(out.getvalue()), "x.odt", root=tmp_path)


def test_archive_with_too_many_entries_is_refused(tmp_path):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        for i in range(St.ZIP_MAX_ENTRIES + 1):
            z.writestr(f"word/{i}", "")
    with pytest.raises(St.UploadError, match="не похоже"):
        St.save_upload(io.BytesIO(out.getvalue()), "x.docx", root=tmp_path)


@pytest.mark.parametrize("main,name,kind", [
    ("wordprocessingml.document.main+xml", "a.docx", "docx"),
    ("spreadsheetml.sheet.main+xml", "a.xlsx", "xlsx"),
])
def test_ooxml_typed_by_its_content_types(tmp_path, main, name, kind):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml",
                   f'<Types><Override PartName="/main.xml" ContentType="application/'
                   f'vnd.openxmlformats-officedocument.{main}"/></Types>')
        z.writestr("main.xml", "<x/>")
    assert St.save_upload(io.BytesIO(out.getvalue()), name, root=tmp_path).kind == kind
