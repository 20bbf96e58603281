"""SMS delivery through an HTTP gateway, configured by environment: HEALTHCERT_SMS_URL (the
gateway's endpoint; https, or http on this machine only) and HEALTHCERT_SMS_TOKEN (sent as
``Authorization: Bearer``), HEALTHCERT_SMS_FROM (the sender name or number, optional) and
HEALTHCERT_SMS_TIMEOUT (seconds, 10).

Each message is one JSON POST: ``{"to": "+8613800000000", "text": "...", "from": "..."}``; any
2xx answer is delivery, anything else a failure retried later.
"""

from __future__ import annotations

import ipaddress
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

import orjson

from healthcert.service.delivery import DeliveryError


@dataclass(frozen=True, slots=True)
class SmsSettings:
    url: str
    token: str
    sender: str | None = None
    timeout: float = 10.0

    @classmethod
    def from_environment(cls, env: Mapping[str, str]) -> SmsSettings | None:
        """The settings, None when HEALTHCERT_SMS_URL is unset; ValueError names a wrong one."""
        url = env.get("HEALTHCERT_SMS_URL", "").strip()
        if not url:
            return None
        _check_url(url)
        token = env.get("HEALTHCERT_SMS_TOKEN", "").strip()
        if not token:
            raise ValueError("HEALTHCERT_SMS_TOKEN is required with HEALTHCERT_SMS_URL")
        timeout = env.get("HEALTHCERT_SMS_TIMEOUT", "").strip() or "10"
        try:
            seconds = float(timeout)
        except ValueError:
            seconds = 0.0
        if not 0 < seconds <= 120:
            raise ValueError("HEALTHCERT_SMS_TIMEOUT must be seconds, more than 0, at most 120")
        sender = env.get("HEALTHCERT_SMS_FROM", "").strip() or None
        return cls(url, token, sender, seconds)


def _check_url(url: str) -> None:
    """https, or plain http to this machine: the bearer token must not cross a network bare."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and parts.hostname and _loopback(parts.hostname):
        return
    raise ValueError("HEALTHCERT_SMS_URL must be an https URL (http only to this machine)")


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is a failure: following it would carry the token to wherever it points."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


class SmsGatewaySender:
    def __init__(self, settings: SmsSettings) -> None:
        self.settings = settings
        self._opener = urllib.request.build_opener(_NoRedirect)

    def deliver(self, address: str, body: str) -> None:
        document: dict[str, str] = {"to": address, "text": body}
        if self.settings.sender:
            document["from"] = self.settings.sender
        request = urllib.request.Request(
            self.settings.url,
            data=orjson.dumps(document),
            method="POST",
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Bearer {self.settings.token}",
            },
        )
        try:
            with self._opener.open(request, timeout=self.settings.timeout) as answer:
                answer.read(65536)
        except urllib.error.HTTPError as error:
            raise DeliveryError(f"SMS gateway HTTP {error.code}") from None
        except (urllib.error.URLError, OSError) as error:
            raise DeliveryError(f"SMS gateway {type(error).__name__}") from None
