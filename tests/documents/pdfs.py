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


def gost_signed_pdf(key_path, cert_path, chain_paths=(), text: str = "Test document", alg: str = "gost256",
                    data: bytes | None = None, field_name: str = "Signature1") -> bytes:
    """``plain_pdf`` (or ``data``) signed by pyHanko with a GOST R 34.10-2012 key, as CryptoPro
    PDF signs: Streebog digest, GOST signature mechanism."""
    from asn1crypto import algos
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    from registry.pki import load_certificate, oids
    from registry.pki.builder import load_key
    from registry.pki.validation import install_pyhanko

    install_pyhanko()
    key = load_key(alg, open(key_path, "rb").read())
    cert = load_certificate(open(cert_path, "rb").read()).asn1
    chain = [load_certificate(open(p, "rb").read()).asn1 for p in chain_paths]
    mechanism = algos.SignedDigestAlgorithm(
        {"algorithm": oids.GOST_SIGN_512 if alg == "gost512" else oids.GOST_SIGN_256})

    class GostSigner(signers.Signer):
        async def async_sign_raw(self, data: bytes, digest_algorithm: str, dry_run=False) -> bytes:
            return key.sign(data)

    signer = GostSigner(signing_cert=cert, cert_registry=SimpleCertificateStore.from_certs([cert, *chain]),
                        signature_mechanism=mechanism)
    writer = IncrementalPdfFileWriter(io.BytesIO(data or plain_pdf(text)))
    out = io.BytesIO()
    digest = "streebog512" if alg == "gost512" else "streebog256"
    signers.sign_pdf(writer, signers.PdfSignatureMetadata(field_name=field_name, md_algorithm=digest),
                     signer=signer, output=out)
    return out.getvalue()
