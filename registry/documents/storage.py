"""The file store: uploads written atomically outside anything served, typed by their content.

A stored file is addressed by an opaque key (``ab/cdef…``, a random hex name); the original
file name is kept only as metadata, cleaned for display and for the download header. Every
file is streamed to a temporary file in the same directory tree, hashed and size-checked on
the way, flushed to disk and only then renamed into place: an interrupted or refused upload
leaves nothing behind and nothing is recorded for it.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
_CHUNK = 1 << 16
_KEY_RE = re.compile(r"^[0-9a-f]{2}/[0-9a-f]{30}$")


class UploadError(ValueError):
    """An upload refused with a message for the person who sent it."""


@dataclass(frozen=True)
class FileType:
    media_type: str
    title: str
    extensions: tuple[str, ...]


TYPES = {
    "pdf": FileType("application/pdf", "PDF", (".pdf",)),
    "png": FileType("image/png", "изображение PNG", (".png",)),
    "jpeg": FileType("image/jpeg", "изображение JPEG", (".jpg", ".jpeg")),
    "tiff": FileType("image/tiff", "изображение TIFF", (".tif", ".tiff")),
    "docx": FileType("application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                     "документ Word", (".docx",)),
    "xlsx": FileType("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                     "таблица Excel", (".xlsx",)),
    "odt": FileType("application/vnd.oasis.opendocument.text", "документ OpenDocument", (".odt",)),
    "ods": FileType("application/vnd.oasis.opendocument.spreadsheet", "таблица OpenDocument", (".ods",)),
    "doc": FileType("application/msword", "документ Office 97–2003", (".doc", ".xls")),
    "rtf": FileType("application/rtf", "документ RTF", (".rtf",)),
    "xml": FileType("application/xml", "XML", (".xml",)),
    "cms": FileType("application/pkcs7-signature", "электронная подпись CMS", (".sig", ".p7s", ".p7m")),
}
ALLOWED_EXTENSIONS = sorted({ext for t in TYPES.values() for ext in t.extensions})


@dataclass(frozen=True)
class StoredFile:
    key: str
    size: int
    sha256: str
    kind: str
    media_type: str
    original_name: str


def sniff(head: bytes, path: Path | None = None) -> str | None:
    """The kind of a file from its first bytes (and, for zip containers, its directory)."""
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "doc"
    if head.startswith(b"{\\rtf"):
        return "rtf"
    if head.startswith(b"PK\x03\x04") and path is not None:
        return _zip_kind(path)
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith(b"<?xml") or (text.startswith(b"<") and b">" in text[:200]
                                     and not text.startswith(b"<!DOCTYPE html")
                                     and not text.lower().startswith(b"<html")):
        return "xml"
    if _looks_like_signature(head, path):
        return "cms"
    return None


# Office documents are zip archives; typing one reads the central directory (bounded by the
# entry count below) and at most a few kilobytes of one or two members, never a whole member:
# a 1 MB archive can hold a member that inflates to gigabytes.
ZIP_MAX_ENTRIES = 5000
ZIP_MEMBER_READ = 4096
ZIP_CONTENT_TYPES_READ = 64 * 1024
_EOCD = b"PK\x05\x06"
_ODF_KINDS = {"application/vnd.oasis.opendocument.text": "odt",
              "application/vnd.oasis.opendocument.spreadsheet": "ods"}
_OOXML_MAIN = {b"wordprocessingml.document.main+xml": "docx",
               b"spreadsheetml.sheet.main+xml": "xlsx"}


def _zip_entry_count(path: Path) -> int | None:
    """The entry count from the end-of-central-directory record (None: not found)."""
    with open(path, "rb") as f:
        f.seek(0, os.SEEK_END)
        size = f.tell()
        tail = min(size, 22 + 65535)
        f.seek(size - tail)
        data = f.read(tail)
    at = data.rfind(_EOCD)
    if at < 0 or len(data) < at + 22:
        return None
    return int.from_bytes(data[at + 10:at + 12], "little")


def _read_member(archive: zipfile.ZipFile, name: str, limit: int) -> bytes | None:
    """At most ``limit`` bytes of a stored or deflated member (others are not inflated here:
    bzip2 and LZMA cannot bound their output per read)."""
    info = archive.getinfo(name)
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        return None
    with archive.open(info) as member:
        return member.read(limit)


def _zip_kind(path: Path) -> str | None:
    try:
        count = _zip_entry_count(path)
        if count is None or count > ZIP_MAX_ENTRIES:  # ZIP64 (0xffff) or too many to list
            return None
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if "mimetype" in names:
                head = _read_member(archive, "mimetype", ZIP_MEMBER_READ)
                if head is None:
                    return None
                return _ODF_KINDS.get(head.decode("ascii", "replace").strip())
            if "[Content_Types].xml" in names:
                types = _read_member(archive, "[Content_Types].xml", ZIP_CONTENT_TYPES_READ) or b""
                for marker, kind in _OOXML_MAIN.items():
                    if marker in types:
                        return kind
                # Content types written in another order or spelling: fall back to the parts.
                if any(n.startswith("word/") for n in names):
                    return "docx"
                if any(n.startswith("xl/") for n in names):
                    return "xlsx"
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, KeyError, EOFError,
            NotImplementedError, RuntimeError, ValueError):
        return None
    return None


def _looks_like_signature(head: bytes, path: Path | None) -> bool:
    from .signatures import looks_like_cms

    if not (head[:1] == b"\x30" or head.startswith(b"-----BEGIN") or head[:4].isalnum()):
        return False
    data = path.read_bytes() if path is not None and path.stat().st_size <= 1024 * 1024 else head
    return looks_like_cms(data)


def safe_name(filename: str | None, default: str = "документ") -> str:
    """A display name: no directories, no control or separator characters, at most 120 chars."""
    name = unicodedata.normalize("NFC", filename or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C" and ch not in '<>:"|?*')
    stem, dot, ext = name.strip().rpartition(".")
    if not dot:
        stem, ext = ext, ""
    stem = stem.strip().lstrip(".").strip()  # no hidden files, no ".." left over
    if dot and ext and len(ext) <= 10 and " " not in ext:
        return (stem[:120 - len(ext) - 1] or default) + "." + ext
    return (stem + dot + ext)[:120] if stem else default


def store_root(root: str | Path) -> Path:
    path = Path(root)
    path.mkdir(parents=True, exist_ok=True)
    return path


def save_upload(stream: BinaryIO, filename: str | None, *, root: str | Path,
                max_bytes: int = DEFAULT_MAX_BYTES) -> StoredFile:
    """Stream an upload into the store; UploadError (and nothing stored) when it is refused."""
    root = store_root(root)
    original = safe_name(filename)
    extension = os.path.splitext(original)[1].lower()
    if extension not in ALLOWED_EXTENSIONS:
        raise UploadError(f"Файлы «{extension or 'без расширения'}» не принимаются. Допустимы: "
                          f"{', '.join(ALLOWED_EXTENSIONS)}.")
    key = f"{secrets.token_hex(1)}/{secrets.token_hex(15)}"
    final = root / key
    final.parent.mkdir(parents=True, exist_ok=True)
    temporary = final.with_name(final.name + ".part")
    digest, size, head = hashlib.sha256(), 0, b""
    try:
        with open(temporary, "xb") as out:
            while chunk := stream.read(_CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise UploadError(f"Файл больше допустимых {max_bytes // (1024 * 1024)} МБ. "
                                      f"Уменьшите его (например, сканируйте в 200–300 dpi) или разделите.")
                if len(head) < 4096:
                    head += chunk[:4096 - len(head)]
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        if size == 0:
            raise UploadError("Файл пустой. Выберите файл с содержимым.")
        kind = sniff(head, temporary)
        if kind is None:
            raise UploadError(f"Содержимое файла «{original}» не похоже ни на один из допустимых типов "
                              f"(PDF, изображения, документы Office, XML, подписи CMS).")
        expected = TYPES[kind]
        if extension not in expected.extensions:
            raise UploadError(f"Файл назван «{original}», но внутри {expected.title}. Переименуйте файл "
                              f"или выберите правильный.")
        os.replace(temporary, final)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return StoredFile(key, size, digest.hexdigest(), kind, expected.media_type, original)


def path_of(key: str, *, root: str | Path) -> Path:
    """The file behind a key; ValueError for anything that is not a key this store made."""
    if not _KEY_RE.match(key or ""):
        raise ValueError("not a file-store key")
    return Path(root) / key


def delete(key: str, *, root: str | Path) -> None:
    path_of(key, root=root).unlink(missing_ok=True)


def sweep(root: str | Path, *, keep: set[str], older_than: float) -> int:
    """Remove files under ``root`` not in ``keep`` and older than ``older_than`` seconds (and
    temporary ``.part`` files of interrupted uploads); return how many were removed."""
    import time

    root = Path(root)
    cutoff = time.time() - older_than
    removed = 0
    for path in root.glob("*/*"):
        if not path.is_file():
            continue
        key = path.relative_to(root).as_posix()
        if key in keep or path.stat().st_mtime > cutoff:
            continue
        if _KEY_RE.match(key) or key.endswith(".part"):
            path.unlink(missing_ok=True)
            removed += 1
    return removed
