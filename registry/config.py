"""Configuration: defaults, overridden by environment variables, overridden by create_app(config).

Every setting the application reads is listed here once, with its environment variable. Values
from the environment are strings; ``_ENV`` names how each is converted.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
import time
from datetime import timedelta
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _int(value: str) -> int:
    return int(value)


def _bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _str(value: str) -> str:
    return value


# Environment variable -> (config key, converter). DATABASE_URL and SECRET_KEY keep their
# conventional names; everything else is REGISTRY_*.
_ENV = {
    "DATABASE_URL": ("SQLALCHEMY_DATABASE_URI", _str),
    "SECRET_KEY": ("SECRET_KEY", _str),
    "REGISTRY_TRUST_STORE": ("REGISTRY_TRUST_STORE", _str),
    "REGISTRY_TRUSTED_PROXIES": ("REGISTRY_TRUSTED_PROXIES", _str),
    "REGISTRY_PROXY_SECRET": ("REGISTRY_PROXY_SECRET", _str),
    "REGISTRY_CADESPLUGIN_URL": ("REGISTRY_CADESPLUGIN_URL", _str),
    "REGISTRY_SIGNIN_CHALLENGE_SECONDS": ("REGISTRY_SIGNIN_CHALLENGE_SECONDS", _int),
    "REGISTRY_SITE_ORIGIN": ("REGISTRY_SITE_ORIGIN", _str),
    "REGISTRY_SESSION_IDLE_MINUTES": ("REGISTRY_SESSION_IDLE_MINUTES", _int),
    "REGISTRY_SESSION_LIFETIME_HOURS": ("REGISTRY_SESSION_LIFETIME_HOURS", _int),
    "REGISTRY_TRUST_RELOAD_SECONDS": ("REGISTRY_TRUST_RELOAD_SECONDS", _int),
    "REGISTRY_TIMEZONE": ("REGISTRY_TIMEZONE", _str),
    "REGISTRY_LOG_LEVEL": ("REGISTRY_LOG_LEVEL", _str),
    "REGISTRY_SECURE_COOKIES": ("SESSION_COOKIE_SECURE", _bool),
    "REGISTRY_INSTANCE_PATH": ("REGISTRY_INSTANCE_PATH", _str),
    "REGISTRY_PARTY_PROVIDER_URL": ("REGISTRY_PARTY_PROVIDER_URL", _str),
    "REGISTRY_PARTY_PROVIDER_TOKEN": ("REGISTRY_PARTY_PROVIDER_TOKEN", _str),
    "REGISTRY_PARTY_PROVIDER_TIMEOUT": ("REGISTRY_PARTY_PROVIDER_TIMEOUT", _int),
    "REGISTRY_FILES_DIR": ("REGISTRY_FILES_DIR", _str),
    "REGISTRY_UPLOAD_MAX_MB": ("REGISTRY_UPLOAD_MAX_MB", _int),
    "REGISTRY_BROKER_URL": ("REGISTRY_BROKER_URL", _str),
    "REGISTRY_EMBEDDED_WORKER": ("REGISTRY_EMBEDDED_WORKER", _bool),
    "REGISTRY_CRL_REFRESH_MINUTES": ("REGISTRY_CRL_REFRESH_MINUTES", _int),
    "REGISTRY_EGRUL_IMPORT_DIR": ("REGISTRY_EGRUL_IMPORT_DIR", _str),
    "REGISTRY_EGRUL_IMPORT_MINUTES": ("REGISTRY_EGRUL_IMPORT_MINUTES", _int),
    "REGISTRY_EXPIRY_NOTICE_MINUTES": ("REGISTRY_EXPIRY_NOTICE_MINUTES", _int),
    "REGISTRY_FILES_SWEEP_MINUTES": ("REGISTRY_FILES_SWEEP_MINUTES", _int),
    "REGISTRY_SIGNATURE_RECHECK_MINUTES": ("REGISTRY_SIGNATURE_RECHECK_MINUTES", _int),
    "REGISTRY_FILES_URL": ("REGISTRY_FILES_URL", _str),
    "REGISTRY_S3_ENDPOINT_URL": ("REGISTRY_S3_ENDPOINT_URL", _str),
    "REGISTRY_SIGNATURE_INLINE_MB": ("REGISTRY_SIGNATURE_INLINE_MB", _int),
    "REGISTRY_SIGNATURE_MAX_CERTS": ("REGISTRY_SIGNATURE_MAX_CERTS", _int),
    "REGISTRY_SIGNATURE_MAX_KB": ("REGISTRY_SIGNATURE_MAX_KB", _int),
    "REGISTRY_HEALTH_DETAIL_FROM": ("REGISTRY_HEALTH_DETAIL_FROM", _str),
    "REGISTRY_METRICS_FROM": ("REGISTRY_METRICS_FROM", _str),
    "REGISTRY_LOG_FORMAT": ("REGISTRY_LOG_FORMAT", _str),
    # Trust operations (registry.trust).
    "REGISTRY_TRUST_HEAD_ROOTS": ("REGISTRY_TRUST_HEAD_ROOTS", _str),
    "REGISTRY_REVOCATION": ("REGISTRY_REVOCATION", _str),
    "REGISTRY_CRL_GRACE": ("REGISTRY_CRL_GRACE", _str),
    "REGISTRY_TRUST_REFRESH_SECONDS": ("REGISTRY_TRUST_REFRESH_SECONDS", _int),
    "REGISTRY_CRL_TIMEOUT": ("REGISTRY_CRL_TIMEOUT", _int),
    "REGISTRY_CRL_MAX_MB": ("REGISTRY_CRL_MAX_MB", _int),
    "REGISTRY_TSL_MAX_MB": ("REGISTRY_TSL_MAX_MB", _int),
    "REGISTRY_TSL_SIGNER_CERT": ("REGISTRY_TSL_SIGNER_CERT", _str),
    # Machine-readable powers of attorney (registry.mchd).
    "REGISTRY_MCHD_PROVIDER_URL": ("REGISTRY_MCHD_PROVIDER_URL", _str),
    "REGISTRY_MCHD_PROVIDER_TOKEN": ("REGISTRY_MCHD_PROVIDER_TOKEN", _str),
    "REGISTRY_MCHD_PROVIDER_TIMEOUT": ("REGISTRY_MCHD_PROVIDER_TIMEOUT", _int),
    "REGISTRY_MCHD_STATUS_HOSTS": ("REGISTRY_MCHD_STATUS_HOSTS", _str),
    "REGISTRY_MCHD_CHECK_MINUTES": ("REGISTRY_MCHD_CHECK_MINUTES", _int),
    # Notices by e-mail (registry.notices).
    "REGISTRY_SMTP_HOST": ("REGISTRY_SMTP_HOST", _str),
    "REGISTRY_SMTP_PORT": ("REGISTRY_SMTP_PORT", _int),
    "REGISTRY_SMTP_USER": ("REGISTRY_SMTP_USER", _str),
    "REGISTRY_SMTP_PASSWORD": ("REGISTRY_SMTP_PASSWORD", _str),
    "REGISTRY_SMTP_STARTTLS": ("REGISTRY_SMTP_STARTTLS", _bool),
    "REGISTRY_SMTP_SSL": ("REGISTRY_SMTP_SSL", _bool),
    "REGISTRY_SMTP_TIMEOUT": ("REGISTRY_SMTP_TIMEOUT", _int),
    "REGISTRY_MAIL_FROM": ("REGISTRY_MAIL_FROM", _str),
    "REGISTRY_BASE_URL": ("REGISTRY_BASE_URL", _str),
    "REGISTRY_EMAIL_CONFIRM_HOURS": ("REGISTRY_EMAIL_CONFIRM_HOURS", _int),
    "REGISTRY_NOTICE_MAIL_MINUTES": ("REGISTRY_NOTICE_MAIL_MINUTES", _int),
    # The special register (registry.register).
    "REGISTRY_REGISTER_PUBLIC": ("REGISTRY_REGISTER_PUBLIC", _bool),
    "REGISTRY_RECORD_NUMBER_FORMAT": ("REGISTRY_RECORD_NUMBER_FORMAT", _str),
    "REGISTRY_OPERATOR_SIGNING_CERT": ("REGISTRY_OPERATOR_SIGNING_CERT", _str),
    "REGISTRY_OPERATOR_SIGNING_KEY": ("REGISTRY_OPERATOR_SIGNING_KEY", _str),
}

DEFAULTS: dict[str, object] = {
    # None means "SQLite file in the instance folder", resolved in create_app.
    "SQLALCHEMY_DATABASE_URI": None,
    "SECRET_KEY": None,
    "REGISTRY_TRUST_STORE": str(PROJECT_ROOT / "certs"),
    # "unix" (the unix socket only nginx can reach) and/or addresses; over TCP a proxy is
    # believed only when it also sends REGISTRY_PROXY_SECRET (see registry/web/proxy.py).
    "REGISTRY_TRUSTED_PROXIES": "",
    "REGISTRY_PROXY_SECRET": "",
    # Sign-in by signature: where browsers load CryptoPro's cadesplugin_api.js from (never
    # shipped with the registry), how long a challenge may take to sign, and this site's
    # origin as the challenge names it (empty: the origin of the request).
    "REGISTRY_CADESPLUGIN_URL": "",
    "REGISTRY_SIGNIN_CHALLENGE_SECONDS": 300,
    "REGISTRY_SITE_ORIGIN": "",
    "REGISTRY_SESSION_IDLE_MINUTES": 30,
    "REGISTRY_SESSION_LIFETIME_HOURS": 12,
    "REGISTRY_TRUST_RELOAD_SECONDS": 60,
    "REGISTRY_TIMEZONE": "Europe/Moscow",
    "REGISTRY_LOG_LEVEL": "INFO",
    "REGISTRY_INSTANCE_PATH": None,
    # Optional ЕГРЮЛ lookup service speaking the findById/party JSON shape.
    "REGISTRY_PARTY_PROVIDER_URL": "",
    "REGISTRY_PARTY_PROVIDER_TOKEN": "",
    "REGISTRY_PARTY_PROVIDER_TIMEOUT": 5,
    # Organization documents and applications; None means "files/ in the instance folder".
    # Shared by every instance of the application (a network file system in a cluster).
    "REGISTRY_FILES_DIR": None,
    "REGISTRY_UPLOAD_MAX_MB": 20,
    # Background jobs: empty = Huey's SQLite queue in the instance folder (one node);
    # redis://host:6379/0 for several nodes; "immediate" runs every job inline (tests).
    "REGISTRY_BROKER_URL": "",
    # Run the queue's consumer in threads of the web process (one node without a worker unit).
    "REGISTRY_EMBEDDED_WORKER": False,
    # Periods of the periodic jobs (0 disables one).
    "REGISTRY_CRL_REFRESH_MINUTES": 60,
    "REGISTRY_EGRUL_IMPORT_DIR": "",
    "REGISTRY_EGRUL_IMPORT_MINUTES": 24 * 60,
    "REGISTRY_EXPIRY_NOTICE_MINUTES": 24 * 60,
    "REGISTRY_FILES_SWEEP_MINUTES": 60,
    # A signature check pending this long lost its job: the periodic sweep enqueues it again.
    "REGISTRY_SIGNATURE_RECHECK_MINUTES": 5,
    # Files: empty = REGISTRY_FILES_DIR on disk; s3://bucket/prefix for an S3-compatible store.
    "REGISTRY_FILES_URL": "",
    "REGISTRY_S3_ENDPOINT_URL": "",
    # Signature checks: files larger than this are verified in the background; a CMS may carry
    # at most this many certificates and be at most this large.
    "REGISTRY_SIGNATURE_INLINE_MB": 2,
    "REGISTRY_SIGNATURE_MAX_CERTS": 50,
    "REGISTRY_SIGNATURE_MAX_KB": 1024,
    # Addresses (comma-separated, CIDR allowed) that see /healthz detail and /metrics.
    "REGISTRY_HEALTH_DETAIL_FROM": "127.0.0.1, ::1",
    "REGISTRY_METRICS_FROM": "127.0.0.1, ::1",
    # "text" or "json" (one JSON object per line).
    "REGISTRY_LOG_FORMAT": "text",
    # Head roots (Минцифры / Минкомсвязь) that `registry trust import-tsl` puts into the store.
    "REGISTRY_TRUST_HEAD_ROOTS": str(PROJECT_ROOT / "certs"),
    # "crl", "ocsp" or "crl+ocsp" (CRL, then OCSP when there is no fresh CRL).
    "REGISTRY_REVOCATION": "crl+ocsp",
    # How long past its nextUpdate a CRL still counts ("6h"); empty: fail closed.
    "REGISTRY_CRL_GRACE": "",
    # Period of the CRL refresh inside `registry demo serve` (production: the systemd timer).
    "REGISTRY_TRUST_REFRESH_SECONDS": 3600,
    "REGISTRY_CRL_TIMEOUT": 10,
    "REGISTRY_CRL_MAX_MB": 50,
    "REGISTRY_TSL_MAX_MB": 200,
    # Certificate(s) of Минцифры that sign TSL.xml (a file, PEM bundle or DER, or a directory):
    # `registry trust import-tsl` refuses a list not signed with one of them. Empty: refused.
    "REGISTRY_TSL_SIGNER_CERT": "",
    # МЧД: the registry of powers of attorney to look them up in (registry/mchd/provider.py
    # describes its JSON protocol; empty: uploads only), and its bearer token and timeout.
    "REGISTRY_MCHD_PROVIDER_URL": "",
    "REGISTRY_MCHD_PROVIDER_TOKEN": "",
    "REGISTRY_MCHD_PROVIDER_TIMEOUT": 5,
    # Which roles a machine-readable power (КодПолн) gives: JSON {"code": ["role", ...]} or
    # "code=role,role; code2=role"; empty: the default of registry/mchd/roles.py.
    "REGISTRY_MCHD_STATUS_HOSTS": "",
    # Period of the job that suspends what expired or revoked МЧД granted, with notices.
    "REGISTRY_MCHD_CHECK_MINUTES": 60,
    # Notices by e-mail: no host = no letters (notices stay in the product). Port 0 = 25, or
    # 465 with REGISTRY_SMTP_SSL; REGISTRY_SMTP_STARTTLS upgrades a plain connection.
    "REGISTRY_SMTP_HOST": "",
    "REGISTRY_SMTP_PORT": 0,
    "REGISTRY_SMTP_USER": "",
    "REGISTRY_SMTP_PASSWORD": "",
    "REGISTRY_SMTP_STARTTLS": False,
    "REGISTRY_SMTP_SSL": False,
    "REGISTRY_SMTP_TIMEOUT": 30,
    "REGISTRY_MAIL_FROM": "",
    # Where links in letters point (https://registry.example.ru); empty: REGISTRY_SITE_ORIGIN.
    "REGISTRY_BASE_URL": "",
    # How long the link that confirms an e-mail address works.
    "REGISTRY_EMAIL_CONFIRM_HOURS": 48,
    # Period of the sweep that retries letters not yet sent.
    "REGISTRY_NOTICE_MAIL_MINUTES": 5,
    "SESSION_COOKIE_SECURE": True,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_NAME": "registry_session",
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    # Pages carry Referrer-Policy: no-referrer, so the browser sends no Referer that Flask-WTF's
    # strict HTTPS check could compare; the CSRF token plus SameSite cookies protect the forms.
    "WTF_CSRF_SSL_STRICT": False,
    "WTF_CSRF_TIME_LIMIT": None,
    "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
}


def from_environ(environ: os._Environ | dict | None = None) -> dict[str, object]:
    """Return the defaults with every setting present in the environment applied."""
    environ = os.environ if environ is None else environ
    config = dict(DEFAULTS)
    for var, (key, convert) in _ENV.items():
        value = environ.get(var)
        if value not in (None, ""):
            try:
                config[key] = convert(value)
            except ValueError as exc:
                raise ValueError(f"{var}={value!r}: {exc}") from None
    return config


def normalize_database_url(url: str) -> str:
    """Point plain ``postgres://``/``postgresql://`` URLs at psycopg 3 (the installed driver)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def parse_networks(value: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """Parse a comma- or space-separated list of addresses and CIDR networks."""
    items = [v for v in value.replace(",", " ").split() if v and v.lower() != "unix"]
    try:
        return tuple(ipaddress.ip_network(item, strict=False) for item in items)
    except ValueError as exc:
        raise ValueError(f"REGISTRY_TRUSTED_PROXIES: {exc}") from None


def session_timeouts(config) -> tuple[timedelta, timedelta]:
    """Idle timeout and absolute lifetime of a signed-in session."""
    return (timedelta(minutes=int(config["REGISTRY_SESSION_IDLE_MINUTES"])),
            timedelta(hours=int(config["REGISTRY_SESSION_LIFETIME_HOURS"])))


def instance_secret_key(instance_path: Path) -> str:
    """Read the secret key persisted in the instance folder, creating it on first use.

    Several workers may start at once; O_EXCL makes exactly one of them write the file and the
    others read it.
    """
    path = instance_path / "secret_key"
    instance_path.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):
            key = path.read_text().strip()
            if key:
                return key
            time.sleep(0.02)
        raise RuntimeError(f"{path} is empty; delete it or set SECRET_KEY") from None
    key = secrets.token_hex(32)
    with os.fdopen(fd, "w") as f:
        f.write(key + "\n")
    return key
