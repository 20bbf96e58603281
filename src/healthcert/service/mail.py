"""E-mail delivery over SMTP (the standard library's smtplib), configured by environment:

HEALTHCERT_SMTP_HOST, HEALTHCERT_SMTP_PORT (587), HEALTHCERT_SMTP_SECURITY (``starttls``, ``tls``
for TLS from the first byte, usually port 465, or ``none`` on a trusted local relay),
HEALTHCERT_SMTP_USER and HEALTHCERT_SMTP_PASSWORD (AUTH, only over TLS), HEALTHCERT_SMTP_FROM,
HEALTHCERT_SMTP_CA_FILE (a CA bundle for a relay with a private CA) and
HEALTHCERT_SMTP_TIMEOUT (seconds, 10). The server's certificate and name are always checked.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid

from healthcert.service.delivery import DeliveryError

SECURITY = ("starttls", "tls", "none")
SUBJECT = "healthcert"


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    host: str
    sender: str
    port: int = 587
    security: str = "starttls"
    user: str | None = None
    password: str | None = None
    ca_file: str | None = None
    timeout: float = 10.0

    @classmethod
    def from_environment(cls, env: Mapping[str, str]) -> SmtpSettings | None:
        """The settings, None when HEALTHCERT_SMTP_HOST is unset; ValueError names a wrong one."""
        host = env.get("HEALTHCERT_SMTP_HOST", "").strip()
        if not host:
            return None
        security = env.get("HEALTHCERT_SMTP_SECURITY", "starttls").strip().lower()
        if security not in SECURITY:
            raise ValueError(f"HEALTHCERT_SMTP_SECURITY must be one of {', '.join(SECURITY)}")
        sender = env.get("HEALTHCERT_SMTP_FROM", "").strip()
        if "@" not in sender:
            raise ValueError("HEALTHCERT_SMTP_FROM must be the sender's e-mail address")
        user = env.get("HEALTHCERT_SMTP_USER") or None
        if user and security == "none":
            raise ValueError("HEALTHCERT_SMTP_USER needs TLS: a password is never sent in clear")
        return cls(
            host=host,
            sender=sender,
            port=_number(env, "HEALTHCERT_SMTP_PORT", 465 if security == "tls" else 587),
            security=security,
            user=user,
            password=env.get("HEALTHCERT_SMTP_PASSWORD") or None,
            ca_file=env.get("HEALTHCERT_SMTP_CA_FILE") or None,
            timeout=float(_number(env, "HEALTHCERT_SMTP_TIMEOUT", 10)),
        )


def _number(env: Mapping[str, str], name: str, default: int) -> int:
    text = env.get(name, "").strip()
    if not text:
        return default
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise ValueError(f"{name} must be a whole number from 1 to 65535")
    return int(text)


class SmtpSender:
    """One connection per message: messages are rare (sign-ins, notices), and a connection
    held open would go stale between them."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings

    def deliver(self, address: str, body: str) -> None:
        message = self._message(address, body)
        try:
            with self._connect() as smtp:
                if self.settings.user:
                    smtp.login(self.settings.user, self.settings.password or "")
                smtp.send_message(message)
        except smtplib.SMTPResponseException as error:
            raise DeliveryError(f"SMTP {error.smtp_code}") from None
        except smtplib.SMTPRecipientsRefused:
            raise DeliveryError("SMTP recipient refused") from None
        except (smtplib.SMTPException, OSError) as error:  # ssl.SSLError is an OSError
            raise DeliveryError(f"SMTP {type(error).__name__}") from None

    def _message(self, address: str, body: str) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.settings.sender
        message["To"] = address
        message["Subject"] = SUBJECT
        message["Message-ID"] = make_msgid(domain=self.settings.sender.rpartition("@")[2])
        message.set_content(body)
        return message

    def _connect(self) -> smtplib.SMTP:
        settings = self.settings
        tls = ssl.create_default_context(cafile=settings.ca_file)
        if settings.security == "tls":
            return smtplib.SMTP_SSL(
                settings.host, settings.port, timeout=settings.timeout, context=tls
            )
        smtp = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
        try:
            if settings.security == "starttls":
                smtp.starttls(context=tls)
        except BaseException:
            smtp.close()
            raise
        return smtp
