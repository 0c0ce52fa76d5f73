"""Reason codes: refusals caused by a CA read differently from problems of a person's own cert."""

from __future__ import annotations

import pytest

from registry.pki import reasons as R

CA_CODES = [R.ALGORITHM_WITHDRAWN, R.CA_NOT_ACCREDITED, R.CA_CERTIFICATE_UNREADABLE,
            R.REVOCATION_UNKNOWN]


@pytest.mark.parametrize("code", CA_CODES)
def test_ca_fault_names_the_ca_and_says_whom_to_contact(code):
    assert R.is_ca_fault(code)
    message = R.reason_message(code, ca_name="УЦ ООО «Пример»", detail="повреждён")
    assert "«УЦ ООО «Пример»»" in message
    assert "не ваша ошибка" in message
    assert "оператор" in message  # the registry operator, and for some also the CA
    assert R.reason_title(code) != R.reason_title(R.MALFORMED)
    assert code in R.ALL_CODES  # the sign-in refusal page is tested for every code


@pytest.mark.parametrize("code", [R.EXPIRED, R.REVOKED, R.WRONG_PURPOSE, R.CA_AS_LEAF, R.MALFORMED,
                                  R.BAD_SIGNATURE, R.NOT_YET_VALID, R.UNSUPPORTED_ALGORITHM])
def test_problems_of_the_persons_certificate_are_not_ca_faults(code):
    assert not R.is_ca_fault(code)
    assert "не ваша ошибка" not in R.reason_message(code, date="01.01.2030")


def test_issuer_detail_still_names_the_ca():
    # Older callers pass ``issuer`` for revocation_unknown.
    message = R.reason_message(R.REVOCATION_UNKNOWN, issuer="УЦ Тест")
    assert "«УЦ Тест»" in message


def test_defaults_for_missing_details():
    assert "ГОСТ Р 34.10-2001" in R.reason_message(R.ALGORITHM_WITHDRAWN, ca_name="X")
    assert "прекращена или приостановлена" in R.reason_message(R.CA_NOT_ACCREDITED, ca_name="X")
    assert "Аннулирована".lower() in R.reason_message(R.CA_NOT_ACCREDITED, ca_name="X",
                                                       status="аннулирована")
    assert "—" not in R.reason_message(R.ALGORITHM_WITHDRAWN)


def test_accreditation_message_names_status_and_moment():
    message = R.reason_message(R.CA_NOT_ACCREDITED, ca_name="УЦ Тест", status="прекращена",
                               date="01.03.2025 12:00 МСК")
    assert "«УЦ Тест» прекращена (на 01.03.2025 12:00 МСК), поэтому" in message
