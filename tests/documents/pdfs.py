"""Small PDFs for tests: a one-page document, and the same signed with pyHanko."""

from __future__ import annotations

import io

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import signers

from bench.pdf import one_page_pdf


def plain_pdf(text: str = "Test document") -> bytes:
    """A valid one-page PDF with a correct cross-reference table."""
    return one_page_pdf(text)


def signed_pdf(key_path, cert_path, chain_paths=(), text: str = "Test document") -> bytes:
    """``plain_pdf`` signed (PAdES baseline) with the given PEM key and certificate."""
    signer = signers.SimpleSigner.load(str(key_path), str(cert_path), ca_chain_files=tuple(map(str, chain_paths)))
    writer = IncrementalPdfFileWriter(io.BytesIO(plain_pdf(text)))
    out = io.BytesIO()
    signers.sign_pdf(writer, signers.PdfSignatureMetadata(field_name="Signature1"), signer=signer, output=out)
    return out.getvalue()
