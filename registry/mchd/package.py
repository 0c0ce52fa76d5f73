"""The files an МЧД arrives in: its XML with a detached signature (``.sig``, DER or base64), an
attached signature that carries the XML, or a ZIP package of both (as the registry hands them
out, or as WinRAR and WinZip pack them, with names in cp866).

Everything is bounded: the number of entries, each entry's size as read (not as declared, so a
ZIP bomb stops at the limit), and encrypted entries are refused before any is read.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field

from ..pki import cms as cms_check
from ..pki.certificate import MalformedCertificate
from .document import MAX_XML_BYTES, kilobytes, too_large
from .model import PACKAGE, DocumentError

MAX_ENTRIES = 20
MAX_SIGNATURE_BYTES = 1024 * 1024
SIGNATURE_SUFFIXES = (".sig", ".p7s", ".sgn", ".p7b", ".p7m", ".sign")
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")


@dataclass
class Files:
    """The МЧД's XML (and its name), its signature and any other МЧД of the package (parents)."""

    xml: bytes
    xml_name: str | None
    signature: bytes | None
    parents: list[tuple[bytes, bytes]] = field(default_factory=list)


def is_zip(data: bytes) -> bool:
    return data[:4] in ZIP_MAGIC


def attached_content(data: bytes) -> bytes | None:
    """The content an attached CMS signature carries (None: not CMS, or detached)."""
    try:
        signed = cms_check.load_signed_data(data)
        content = signed["encap_content_info"]["content"]
        return None if content.native is None else content.contents
    except (MalformedCertificate, ValueError, TypeError, KeyError):
        return None


def _entry_name(info: zipfile.ZipInfo) -> str:
    """The entry's name as its packer meant it: without the UTF-8 flag (0x800) WinRAR and WinZip
    write names in the DOS code page, cp866 for Russian, which Python reads as cp437."""
    name = info.filename
    if not info.flag_bits & 0x800:
        try:
            name = name.encode("cp437").decode("cp866")
        except (UnicodeEncodeError, UnicodeDecodeError):
            pass
    return name.replace("\\", "/").rsplit("/", 1)[-1]


def _read_entry(archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str, limit: int) -> bytes:
    try:
        with archive.open(info) as stream:
            data = stream.read(limit + 1)
    except NotImplementedError:
        raise DocumentError(PACKAGE, f"файл «{name}» в архиве сжат неподдерживаемым методом: "
                                     "упакуйте архив заново методом Deflate (обычный ZIP)") from None
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise DocumentError(PACKAGE, f"файл «{name}» в архиве повреждён ({exc})") from None
    if len(data) > limit:
        raise DocumentError(PACKAGE, f"файл «{name}» в архиве больше {kilobytes(limit)}: это не "
                                     "машиночитаемая доверенность и не её подпись")
    return data


def _unzip(data: bytes, max_xml: int, max_signature: int) -> Files:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = [i for i in archive.infolist() if not i.is_dir()]
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise DocumentError(PACKAGE, f"архив ZIP не читается ({exc})") from None
    if len(entries) > MAX_ENTRIES:
        raise DocumentError(PACKAGE, f"в архиве {len(entries)} файлов; в пакете доверенности — XML и "
                                     f"подпись (не более {MAX_ENTRIES} файлов)")
    if any(i.flag_bits & 0x1 or i.compress_type == 99 for i in entries):
        raise DocumentError(PACKAGE, "архив зашифрован паролем: загрузите архив без пароля или "
                                     "сами файлы доверенности и подписи")
    xmls: dict[str, bytes] = {}
    signatures: dict[str, bytes] = {}
    for info in entries:
        name = _entry_name(info)
        lower = name.lower()
        if lower.startswith("._") or "__macosx" in info.filename.lower():
            continue
        if lower.endswith(".xml"):
            xmls[name] = _read_entry(archive, info, name, max_xml)
        elif lower.endswith(SIGNATURE_SUFFIXES):
            signatures[name] = _read_entry(archive, info, name, max_signature)
    pairs = []
    for name, xml in xmls.items():
        stem = name[:-4]
        signature = next((signatures[s] for s in signatures
                          if s.lower() in {f"{name.lower()}{x}" for x in SIGNATURE_SUFFIXES}
                          | {f"{stem.lower()}{x}" for x in SIGNATURE_SUFFIXES}), None)
        pairs.append((name, xml, signature))
    if not pairs:
        attached = [(n, s, attached_content(s)) for n, s in signatures.items()]
        carried = [(n, s, c) for n, s, c in attached if c]
        if not carried:
            raise DocumentError(PACKAGE, "в архиве нет XML-файла доверенности")
        name, signature, content = carried[0]
        return Files(content, name.rsplit(".", 1)[0], signature)
    if len(pairs) == 1 and pairs[0][2] is None and len(signatures) == 1:
        pairs = [(pairs[0][0], pairs[0][1], next(iter(signatures.values())))]
    # The package's own МЧД is the one no other names as its parent; with one XML, that one.
    main = pairs[0] if len(pairs) == 1 else _the_child(pairs)
    parents = [(xml, sig) for name, xml, sig in pairs if name != main[0] and sig is not None]
    return Files(main[1], main[0], main[2], parents)


def _the_child(pairs: list[tuple[str, bytes, bytes | None]]) -> tuple[str, bytes, bytes | None]:
    """Of several МЧД in one package, the re-delegation at the end of the chain."""
    from .document import read

    numbers, parents = {}, set()
    for name, xml, _sig in pairs:
        try:
            found = read(xml)
        except DocumentError:
            continue
        numbers[name] = found.number
        if found.parent_number:
            parents.add(found.parent_number)
    for pair in pairs:
        if pair[0] in numbers and numbers[pair[0]] not in parents:
            return pair
    return pairs[0]


def unpack(data: bytes, name: str | None, signature: bytes | None, *,
           max_xml: int = MAX_XML_BYTES, max_signature: int = MAX_SIGNATURE_BYTES) -> Files:
    """The МЧД in what a person gave: a ZIP package, an attached signature carrying the XML, or
    the XML itself (with ``signature`` beside it). DocumentError says what is wrong."""
    if is_zip(data):
        if len(data) > max_xml + max_signature * 2:
            raise too_large(len(data), max_xml + max_signature * 2)
        files = _unzip(data, max_xml, max_signature)
        if signature:
            files.signature = signature
        return files
    if len(data) <= max_signature and data.lstrip()[:1] != b"<":
        content = attached_content(data)
        if content is not None:
            return Files(content, (name or "").rsplit(".", 1)[0] or None, data)
    if signature and is_zip(signature):
        raise DocumentError(PACKAGE, "вместо файла подписи загружен архив: загрузите архив в поле "
                                     "файла доверенности")
    return Files(data, name, signature)
