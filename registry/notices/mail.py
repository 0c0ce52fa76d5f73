"""Letters: the SMTP connection from configuration, links back to the site, the Russian text.

``REGISTRY_SMTP_HOST`` empty means mail is not configured: nothing is sent (notices are still
kept in the product). The password comes from the environment only.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from urllib.parse import urlsplit

from flask import current_app


class MailNotConfigured(Exception):
    """``REGISTRY_SMTP_HOST`` is empty."""


def configured() -> bool:
    return bool(current_app.config.get("REGISTRY_SMTP_HOST"))


def base_url() -> str:
    """Where links in letters point: ``REGISTRY_BASE_URL``, else ``REGISTRY_SITE_ORIGIN``."""
    config = current_app.config
    return str(config.get("REGISTRY_BASE_URL") or config.get("REGISTRY_SITE_ORIGIN")
               or "https://localhost").rstrip("/")


def external_url(endpoint: str, **values) -> str:
    """An absolute link to ``endpoint`` on :func:`base_url` (no request needed)."""
    parts = urlsplit(base_url())
    adapter = current_app.url_map.bind(parts.netloc, script_name=parts.path or "/",
                                       url_scheme=parts.scheme or "https")
    return adapter.build(endpoint, values, force_external=True)


def site_link(path: str) -> str:
    return base_url() + path


def message(to: str, subject: str, text: str, *, unsubscribe: str | None = None) -> EmailMessage:
    config = current_app.config
    msg = EmailMessage()
    msg["From"] = str(config.get("REGISTRY_MAIL_FROM") or "registry@localhost")
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain=str(msg["From"]).rpartition("@")[2].strip(">") or None)
    msg["Auto-Submitted"] = "auto-generated"
    if unsubscribe:
        msg["List-Unsubscribe"] = f"<{unsubscribe}>"
    msg.set_content(text, charset="utf-8")
    return msg


def send(msg: EmailMessage) -> None:
    """Send one letter through the configured SMTP server (raises on failure)."""
    config = current_app.config
    host = str(config.get("REGISTRY_SMTP_HOST") or "")
    if not host:
        raise MailNotConfigured("REGISTRY_SMTP_HOST is empty")
    port = int(config.get("REGISTRY_SMTP_PORT") or 0)
    timeout = int(config.get("REGISTRY_SMTP_TIMEOUT") or 30)
    context = ssl.create_default_context()
    smtp: smtplib.SMTP
    if config.get("REGISTRY_SMTP_SSL"):
        smtp = smtplib.SMTP_SSL(host, port or 465, timeout=timeout, context=context)
    else:
        smtp = smtplib.SMTP(host, port or 25, timeout=timeout)
    with smtp:
        if config.get("REGISTRY_SMTP_STARTTLS") and not config.get("REGISTRY_SMTP_SSL"):
            smtp.starttls(context=context)
        user = config.get("REGISTRY_SMTP_USER")
        if user:
            smtp.login(str(user), str(config.get("REGISTRY_SMTP_PASSWORD") or ""))
        smtp.send_message(msg)


SIGNATURE = "\n\n—\nРеестр организаций. Письмо отправлено автоматически, отвечать на него не нужно.\n"


def notice_text(name: str, subject: str, body: str, link: str | None, list_link: str,
                unsubscribe: str, kind_title: str) -> str:
    lines = [f"Здравствуйте, {name}!", "", subject, "", body.strip()]
    if link:
        lines += ["", f"Подробнее: {link}"]
    lines += ["", f"Все уведомления: {list_link}", "",
              f"Вы получили это письмо, потому что включены уведомления «{kind_title}».",
              f"Отписаться от таких писем: {unsubscribe}",
              "Настроить уведомления можно в разделе «Мой профиль»."]
    return "\n".join(lines) + SIGNATURE


def confirmation_text(name: str, link: str, hours: int) -> str:
    return (f"Здравствуйте, {name}!\n\n"
            "Этот адрес указан для уведомлений в реестре организаций. Чтобы подтвердить его, "
            f"откройте ссылку:\n\n{link}\n\n"
            f"Ссылка действует {hours} ч и срабатывает один раз. Пока адрес не подтверждён, "
            "уведомления на него не отправляются.\n"
            "Если вы не указывали этот адрес, просто не открывайте ссылку." + SIGNATURE)
