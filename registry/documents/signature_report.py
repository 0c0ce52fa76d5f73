"""A document's signatures through the one verifier (registry.pki.ades.verify), for the report,
the ETSI validation report and the «протокол проверки» on the document page and in the API."""

from __future__ import annotations

from flask import current_app

from ..pki.ades import report as ades_report
from ..pki.ades.limits import Limits
from ..pki.ades.verify import Verdict, verify_cms, verify_pdf
from ..trust import trust_store
from ..trust.decision import decide
from .models import Document
from .services.store import read_file

FORMATS = {"json": "application/json", "xml": "application/xml", "pdf": "application/pdf"}


def verdicts(document: Document) -> list[Verdict]:
    """Every signature of the document: its detached signature and those embedded in a PDF."""
    store = trust_store()
    limits = Limits.from_config(current_app.config)
    content = read_file(document.file_key)
    out: list[Verdict] = []
    if document.signature_key:
        out += verify_cms(read_file(document.signature_key), content, trust_store=store, validate=decide,
                          limits=limits)
    if document.file_kind == "pdf":
        embedded = verify_pdf(content, trust_store=store, validate=decide, limits=limits)
        out += [v for v in embedded if v.signer is not None or not out]
    elif document.file_kind == "cms" and not document.signature_key:
        out += verify_cms(content, None, trust_store=store, validate=decide, limits=limits)
    return out


def render(document: Document, fmt: str) -> tuple[bytes, str, str]:
    """(body, media type, file name) of the report in ``fmt`` (json, xml or pdf)."""
    import json

    found = verdicts(document)
    base = f"protocol-{document.id}"
    if fmt == "xml":
        return ades_report.etsi_xml(found, document_name=document.file_name), FORMATS[fmt], f"{base}.xml"
    if fmt == "pdf":
        from .protocol import protocol_pdf

        return protocol_pdf(found, document_name=document.file_name), FORMATS[fmt], f"{base}.pdf"
    body = json.dumps(ades_report.as_json(found), ensure_ascii=False, indent=2).encode()
    return body, FORMATS["json"], f"{base}.json"
