"""The report of a verification: the JSON people and the API read, and the ETSI validation
report (ETSI TS 119 102-2 XML).

pyHanko's report tools need its ``xsdata`` bindings, which this installation does not carry;
the XML is written here with lxml in the same schema's element names.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any

from lxml import etree

from .verify import Verdict

NS = "http://uri.etsi.org/19102/v1.2.1#"
DS = "http://www.w3.org/2000/09/xmldsig#"
_INDICATIONS = {"TOTAL_PASSED": "total-passed", "TOTAL_FAILED": "total-failed",
                "INDETERMINATE": "indeterminate"}


def as_json(verdicts: Sequence[Verdict]) -> dict[str, Any]:
    """``{"signatures": [...]}``: the command's and the API's answer."""
    return {"signatures": [v.to_dict() for v in verdicts]}


def _sub_urn(sub: str) -> str:
    return "urn:etsi:019102:subindication:" + sub


def etsi_xml(verdicts: Sequence[Verdict], *, document_name: str = "", now: datetime | None = None) -> bytes:
    """The ETSI TS 119 102-2 validation report of ``verdicts`` (UTF-8 XML)."""
    moment = now or datetime.now(timezone.utc)
    root = etree.Element(f"{{{NS}}}ValidationReport", nsmap={None: NS, "ds": DS})
    for number, v in enumerate(verdicts):
        report = etree.SubElement(root, f"{{{NS}}}SignatureValidationReport")
        identifier = etree.SubElement(report, f"{{{NS}}}SignatureIdentifier", id=f"sig-{number}")
        if document_name:
            etree.SubElement(identifier, f"{{{NS}}}DocHashOnly").text = "false"
        etree.SubElement(identifier, f"{{{NS}}}DAIdentifier").text = document_name or "-"
        info = etree.SubElement(report, f"{{{NS}}}SignatureAttributes")
        if v.signing_time:
            claimed = etree.SubElement(info, f"{{{NS}}}SigningTime", Signed="true")
            etree.SubElement(claimed, f"{{{NS}}}Time").text = v.signing_time.isoformat()
        signer = etree.SubElement(report, f"{{{NS}}}SignerInformation")
        etree.SubElement(signer, f"{{{NS}}}Signer").text = (v.signer.subject if v.signer else "-")
        quality = etree.SubElement(report, f"{{{NS}}}SignatureQuality")
        etree.SubElement(quality, f"{{{NS}}}SignatureQualityInformation").text = v.format
        process = etree.SubElement(report, f"{{{NS}}}SignatureValidationProcess")
        etree.SubElement(process, f"{{{NS}}}SignatureValidationProcessID").text = (
            "urn:etsi:019102:validationprocess:LTVM" if v.best_signature_time else
            "urn:etsi:019102:validationprocess:Basic")
        status = etree.SubElement(report, f"{{{NS}}}SignatureValidationStatus")
        etree.SubElement(status, f"{{{NS}}}MainIndication").text = (
            "urn:etsi:019102:mainindication:" + _INDICATIONS[v.indication])
        if v.sub_indication:
            etree.SubElement(status, f"{{{NS}}}SubIndication").text = _sub_urn(v.sub_indication)
        for check in v.checks:
            mark = "+" if check.passed else "-" if check.passed is False else "?"
            etree.SubElement(status, f"{{{NS}}}AssociatedValidationReportData").text = (
                f"{check.name}: {mark} {check.detail}".strip())
        if v.best_signature_time:
            poe = etree.SubElement(report, f"{{{NS}}}ValidationTimeInfo")
            etree.SubElement(poe, f"{{{NS}}}ValidationTime").text = moment.isoformat()
            best = etree.SubElement(poe, f"{{{NS}}}BestSignatureTime")
            etree.SubElement(best, f"{{{NS}}}POETime").text = v.best_signature_time.isoformat()
            etree.SubElement(best, f"{{{NS}}}TypeOfProof").text = "validation"
        else:
            poe = etree.SubElement(report, f"{{{NS}}}ValidationTimeInfo")
            etree.SubElement(poe, f"{{{NS}}}ValidationTime").text = moment.isoformat()
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
