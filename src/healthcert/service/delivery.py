"""What the outbox worker hands a message to: one sender per channel, and the one error a
sender raises. A sender's error text never holds the recipient or the message: it is logged
and stored with the outbox row."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol


class DeliveryError(Exception):
    """A message was not delivered; ``str()`` says why in words safe to log (no address)."""


class Sender(Protocol):
    def deliver(self, address: str, body: str) -> None:
        """Deliver ``body`` to ``address`` or raise DeliveryError."""


Senders = Mapping[str, Sender]


def flag(value: str | None, name: str, default: bool) -> bool:
    """A yes/no setting: true/false, yes/no, 1/0 (ValueError names the setting otherwise)."""
    if value is None or not value.strip():
        return default
    word = value.strip().lower()
    if word in ("1", "true", "yes", "on"):
        return True
    if word in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"{name} must be true or false, not {value!r}")
