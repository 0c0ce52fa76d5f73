"""A real SMTP server on 127.0.0.1 (aiosmtpd) that the notices tests read letters from."""

from __future__ import annotations

import email
import re
import time
from email.message import EmailMessage
from email.policy import default

import pytest
from aiosmtpd.controller import Controller

from ..helpers import free_port

BASE_URL = "https://registry.test"


class Inbox:
    """The letters the server accepted, parsed."""

    def __init__(self) -> None:
        self.letters: list[EmailMessage] = []
        self.fail = False  # answer 451 to every letter (a server in trouble)

    async def handle_DATA(self, server, session, envelope):
        if self.fail:
            return "451 Requested action aborted: try again later"
        message = email.message_from_bytes(envelope.content, policy=default)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self.letters.append(message)  # type: ignore[arg-type]
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.letters if address in str(m["To"])]

    def wait(self, count: int = 1, timeout: float = 5) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while len(self.letters) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.letters


def text_of(letter: EmailMessage) -> str:
    return letter.get_content()


def link(letter: EmailMessage, path: str) -> str:
    """The path of the first link in the letter under ``BASE_URL + path``."""
    match = re.search(re.escape(BASE_URL + path) + r"[^\s]*", text_of(letter))
    assert match, f"no {path} link in:\n{text_of(letter)}"
    return match.group(0)[len(BASE_URL):]


@pytest.fixture
def smtp(app):
    """Start the SMTP server and point the application's mail at it."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    keys = ("REGISTRY_SMTP_HOST", "REGISTRY_SMTP_PORT", "REGISTRY_MAIL_FROM", "REGISTRY_BASE_URL")
    saved = {k: app.config.get(k) for k in keys}
    app.config.update(REGISTRY_SMTP_HOST="127.0.0.1", REGISTRY_SMTP_PORT=controller.port,
                      REGISTRY_MAIL_FROM="Реестр организаций <registry@registry.test>",
                      REGISTRY_BASE_URL=BASE_URL)
    try:
        yield inbox
    finally:
        app.config.update(saved)
        controller.stop()
