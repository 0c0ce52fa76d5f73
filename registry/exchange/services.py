"""Information-exchange profiles and their certificates. Services flush, never commit.

Certificates are parsed and validated only by ``registry.pki`` (the same check as a sign-in:
a system authenticates to the API over TLS exactly like a person does).
"""

from __future__ import annotations

from sqlalchemy import select

from ..core.journal import record
from ..extensions import db
from ..organizations.models import Organization
from ..pki import MalformedCertificate, load_certificate
from ..text import quoted
from .models import ExchangeCertificate, ExchangeProfile


class ExchangeError(Exception):
    """A rule the person can act on; ``field`` names the form field it belongs to."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


def profiles(organization: Organization) -> list[ExchangeProfile]:
    return list(db.session.scalars(select(ExchangeProfile).where(
        ExchangeProfile.organization_id == organization.id).order_by(ExchangeProfile.system_code)))


def profile_or_none(organization: Organization, profile_id: int) -> ExchangeProfile | None:
    return db.session.scalar(select(ExchangeProfile).where(
        ExchangeProfile.id == profile_id, ExchangeProfile.organization_id == organization.id))


def unit_title(organization: Organization, branch_id: str | None) -> str:
    branch = organization.branch(branch_id) if branch_id else None
    return branch.get("name") or "ТОП" if branch else "Организация (головное подразделение)"


def system_refusal(result) -> str:
    """Why an information system's certificate is refused, in words for the administrator who
    uploads it (the sign-in messages speak to the certificate's holder)."""
    from ..pki import reasons as R

    details = result.details or {}

    def when(key: str) -> str:
        value = details.get(key)
        return R._fmt(value) if value is not None else ""

    texts = {
        R.EXPIRED: f"срок действия сертификата закончился {when('date')}. Загрузите действующий "
                   "сертификат информационной системы.",
        R.NOT_YET_VALID: f"сертификат начнёт действовать {when('date')}. Загрузите его после этой даты.",
        R.REVOKED: f"сертификат отозван удостоверяющим центром {when('date')}. Загрузите другой "
                   "сертификат информационной системы.",
        R.WRONG_PURPOSE: "сертификат не предназначен для подключения по TLS: в нём должны быть "
                         "назначения «цифровая подпись» и «проверка подлинности клиента». Закажите "
                         "в удостоверяющем центре сертификат для информационной системы.",
        R.CA_AS_LEAF: "это сертификат удостоверяющего центра: загрузите сертификат самой "
                      "информационной системы.",
    }
    return texts.get(result.code) or (result.title.rstrip(".") + ". " + _without_sign_in(result.message))


def _without_sign_in(message: str) -> str:
    # The generic messages end with what to do at sign-in; for an uploaded certificate that
    # advice does not apply.
    for phrase in (" — ваши данные сохранятся", " и войдите с ним", "Войдите с ним после этой даты или "):
        message = message.replace(phrase, "")
    return message


def _checked_certificate(raw: bytes | str, organization_id: int):
    from ..auth.services import checker

    try:
        cert = load_certificate(raw)
    except MalformedCertificate as exc:
        raise ExchangeError(f"Файл не является сертификатом X.509: {exc}. Выберите файл .cer, .crt "
                            "или .pem.", "certificate") from None
    result = checker().check(cert.pem)
    if not result.valid:
        raise ExchangeError(f"Сертификат не принят: {system_refusal(result)}", "certificate")
    taken = db.session.scalar(select(ExchangeCertificate).where(
        ExchangeCertificate.fingerprint == cert.fingerprint))
    if taken is not None:
        raise ExchangeError(f"Этот сертификат уже привязан к профилю {quoted(taken.profile.system_name)}"
                            if taken.profile.organization_id == organization_id
                            else "Этот сертификат уже привязан к другому профилю информационного обмена.",
                            "certificate")
    return cert


def _add(profile: ExchangeProfile, raw: bytes | str) -> ExchangeCertificate:
    cert = _checked_certificate(raw, profile.organization_id)
    stored = ExchangeCertificate(
        fingerprint=cert.fingerprint, serial=cert.serial, subject=cert.subject, issuer=cert.issuer,
        algorithm=cert.algorithm, not_before=cert.not_before, not_after=cert.not_after, pem=cert.pem)
    profile.certificates.append(stored)
    return stored


def create_profile(organization: Organization, *, user, system_name: str, system_code: str,
                   branch_id: str | None, certificate: bytes | str, remote_addr: str | None = None) -> ExchangeProfile:
    if organization.is_blocked:
        raise ExchangeError("Организация заблокирована оператором реестра.")
    code = system_code.strip()
    if branch_id and organization.branch(branch_id) is None:
        raise ExchangeError("Такого подразделения нет в профиле организации: выберите из списка.", "branch_id")
    if db.session.scalar(select(ExchangeProfile.id).where(
            ExchangeProfile.organization_id == organization.id, ExchangeProfile.system_code == code)):
        raise ExchangeError(f"Код ИС «{code}» уже используется в этой организации: коды ИС уникальны.",
                            "system_code")
    profile = ExchangeProfile(organization_id=organization.id, branch_id=branch_id or None,
                              system_name=system_name.strip(), system_code=code,
                              created_by_id=getattr(user, "id", None))
    db.session.add(profile)
    cert = _add(profile, certificate)
    db.session.flush()
    record(organization, "exchange", actor=user, remote_addr=remote_addr,
           details=f"Профиль информационного обмена {quoted(profile.system_name)} ({code}) создан; "
                   f"сертификат {cert.serial}")
    return profile


def update_profile(profile: ExchangeProfile, *, user, system_name: str, system_code: str,
                   remote_addr: str | None = None) -> bool:
    """Rename a profile or change its IS code (still unique in the organization); whether
    anything changed."""
    name, code = system_name.strip(), system_code.strip()
    if db.session.scalar(select(ExchangeProfile.id).where(
            ExchangeProfile.organization_id == profile.organization_id,
            ExchangeProfile.system_code == code, ExchangeProfile.id != profile.id)):
        raise ExchangeError(f"Код ИС «{code}» уже используется в этой организации: коды ИС уникальны.",
                            "system_code")
    changes = []
    if name != profile.system_name:
        changes.append(f"наименование: {profile.system_name} → {name}")
    if code != profile.system_code:
        changes.append(f"код ИС: {profile.system_code} → {code}")
    if not changes:
        return False
    profile.system_name, profile.system_code = name, code
    db.session.flush()
    record(profile.organization_id, "exchange", actor=user, remote_addr=remote_addr,
           details="Профиль информационного обмена изменён; " + "; ".join(changes))
    return True


def add_certificate(profile: ExchangeProfile, *, user, certificate: bytes | str,
                    remote_addr: str | None = None) -> ExchangeCertificate:
    cert = _add(profile, certificate)
    db.session.flush()
    record(profile.organization_id, "exchange", actor=user, remote_addr=remote_addr,
           details=f"Профиль {quoted(profile.system_name)}: добавлен сертификат {cert.serial}")
    return cert


def remove_certificate(profile: ExchangeProfile, certificate_id: int, *, user,
                       remote_addr: str | None = None) -> None:
    cert = next((c for c in profile.certificates if c.id == certificate_id), None)
    if cert is None:
        raise ExchangeError("Такого сертификата в профиле нет.")
    if len(profile.certificates) == 1:
        raise ExchangeError("У профиля должен быть хотя бы один сертификат: добавьте новый, прежде чем "
                            "удалять этот, или удалите профиль целиком.")
    profile.certificates.remove(cert)
    db.session.flush()
    record(profile.organization_id, "exchange", actor=user, remote_addr=remote_addr,
           details=f"Профиль {quoted(profile.system_name)}: удален сертификат {cert.serial}")


def delete_profile(profile: ExchangeProfile, *, user, remote_addr: str | None = None) -> None:
    record(profile.organization_id, "exchange", actor=user, remote_addr=remote_addr,
           details=f"Профиль информационного обмена {quoted(profile.system_name)} ({profile.system_code}) удален")
    db.session.delete(profile)
    db.session.flush()


def find_by_certificate(fingerprint: str) -> ExchangeCertificate | None:
    return db.session.scalar(select(ExchangeCertificate).where(ExchangeCertificate.fingerprint == fingerprint))
