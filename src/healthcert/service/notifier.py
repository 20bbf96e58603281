"""How a message to a holder is handed over: queued in the outbox, in the transaction of what it
announces (a code is sent only if it was stored). The outbox worker (``service.outbox``)
delivers it by e-mail or SMS. Nothing here logs a recipient or a body: they are a person's
contact and, for sign-in, a secret."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Protocol

from healthcert.database.tables import OutboxMessage

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.orm import Session

    from healthcert.service.contacts import Contact

log = logging.getLogger("healthcert.notifier")


class Notifier(Protocol):
    def send(self, session: Session, recipient: Contact, body: str, at: datetime) -> None:
        """Send ``body`` to ``recipient``; ``session`` is the caller's open transaction."""


class OutboxNotifier:
    """The default: an outbox row, due at once, committed with the message's reason."""

    def send(self, session: Session, recipient: Contact, body: str, at: datetime) -> None:
        message = OutboxMessage(
            channel=recipient.channel,
            recipient=recipient.address,
            body=body,
            created_at=at,
            attempts=0,
            next_attempt_at=at,
        )
        session.add(message)
        session.flush()
        log.info("message queued", extra={"message_id": message.id, "channel": recipient.channel})
