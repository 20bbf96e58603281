"""How a holder's one-time code reaches them. Pluggable: a deployment passes its own notifier
(SMS, e-mail); the default keeps the message in the outbox table and writes it to the log."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Protocol

from healthcert.database.tables import OutboxMessage

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.orm import Session

log = logging.getLogger("healthcert.notifier")


class Notifier(Protocol):
    def send(self, session: Session, recipient: str, body: str, at: datetime) -> None:
        """Send ``body`` to ``recipient``; ``session`` is the caller's open transaction."""


class OutboxNotifier:
    """The default: an outbox row, committed with the code it announces, and a log line."""

    def send(self, session: Session, recipient: str, body: str, at: datetime) -> None:
        session.add(OutboxMessage(recipient=recipient, body=body, created_at=at))
        log.info("message to %s: %s", recipient, body)
