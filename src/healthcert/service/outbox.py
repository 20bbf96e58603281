"""The outbox worker: delivers queued messages by their channel's sender, retries a failure
with exponential backoff, counts attempts, and deletes a message once delivered (or given up).

Several instances may run it on one database: a message is claimed by a conditional UPDATE that
pushes its next attempt out by LEASE, so only one instance tries it at a time; an instance that
dies mid-delivery leaves the claim to lapse and the message is tried again (at least once).

The log names a message by id and channel; never its recipient or its text.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, func, select, update

from healthcert.database.tables import OutboxMessage
from healthcert.service.contacts import EMAIL, SMS
from healthcert.service.delivery import DeliveryError, Sender, Senders
from healthcert.service.mail import SmtpSender, SmtpSettings
from healthcert.service.sms import SmsGatewaySender, SmsSettings

if TYPE_CHECKING:
    from healthcert.service.context import ServiceContext

log = logging.getLogger("healthcert.outbox")

FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(hours=1)
MAX_ATTEMPTS = 8  # about two hours of trying: a sign-in code is dead long before
LEASE = timedelta(minutes=2)
BATCH = 50
INTERVAL_SECONDS = 5.0


def senders_from_environment(env: Mapping[str, str] | None = None) -> dict[str, Sender]:
    """The senders the environment configures (see ``mail`` and ``sms``); ValueError names a
    wrong setting."""
    env = os.environ if env is None else env
    senders: dict[str, Sender] = {}
    smtp = SmtpSettings.from_environment(env)
    if smtp is not None:
        senders[EMAIL] = SmtpSender(smtp)
    sms = SmsSettings.from_environment(env)
    if sms is not None:
        senders[SMS] = SmsGatewaySender(sms)
    return senders


def backoff(attempts: int) -> timedelta:
    """How long after its ``attempts``-th failure a message is tried again: 30 s, doubling,
    at most an hour."""
    return min(FIRST_RETRY * (1 << min(max(attempts - 1, 0), 16)), LONGEST_RETRY)


@dataclass
class Pass:
    """What one pass did."""

    delivered: int = 0
    failed: int = 0
    given_up: int = 0
    # Due messages of channels no sender is configured for: they wait.
    waiting: dict[str, int] = field(default_factory=dict)


def deliver_due(ctx: ServiceContext, senders: Senders, limit: int = BATCH) -> Pass:
    """One pass over the due messages of the channels ``senders`` serve."""
    done = Pass()
    now = ctx.clock()
    with ctx.sessions() as session:
        due = session.execute(
            select(OutboxMessage.id, OutboxMessage.next_attempt_at)
            .where(OutboxMessage.next_attempt_at <= now, OutboxMessage.channel.in_(list(senders)))
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(limit)
        ).all()
    for message_id, seen in due:
        message = _claim(ctx, message_id, seen)
        if message is not None:
            _attempt(ctx, senders[message.channel], message, done)
    done.waiting = _unserved(ctx, senders, now)
    return done


def _claim(ctx: ServiceContext, message_id: int, seen: datetime) -> OutboxMessage | None:
    with ctx.transaction() as session:
        claimed = session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id, OutboxMessage.next_attempt_at == seen)
            .values(next_attempt_at=ctx.clock() + LEASE)
        ).rowcount  # type: ignore[attr-defined]
        if claimed != 1:
            return None  # another instance took it
        return session.get(OutboxMessage, message_id)


def _attempt(ctx: ServiceContext, sender: Sender, message: OutboxMessage, done: Pass) -> None:
    attempts = message.attempts + 1
    facts = {"message_id": message.id, "channel": message.channel, "attempts": attempts}
    try:
        sender.deliver(message.recipient, message.body)
    except DeliveryError as error:
        _failed(ctx, message, attempts, str(error)[:200], done)
        log.warning("message not delivered", extra={**facts, "error": str(error)[:200]})
        return
    with ctx.transaction() as session:
        session.execute(delete(OutboxMessage).where(OutboxMessage.id == message.id))
    done.delivered += 1
    log.info("message delivered", extra=facts)


def _failed(
    ctx: ServiceContext, message: OutboxMessage, attempts: int, error: str, done: Pass
) -> None:
    with ctx.transaction() as session:
        if attempts >= MAX_ATTEMPTS:
            session.execute(delete(OutboxMessage).where(OutboxMessage.id == message.id))
            done.given_up += 1
            log.error(
                "message given up",
                extra={"message_id": message.id, "channel": message.channel, "attempts": attempts},
            )
            return
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message.id)
            .values(
                attempts=attempts,
                last_error=error,
                next_attempt_at=ctx.clock() + backoff(attempts),
            )
        )
    done.failed += 1


def _unserved(ctx: ServiceContext, senders: Senders, now: datetime) -> dict[str, int]:
    with ctx.sessions() as session:
        rows = session.execute(
            select(OutboxMessage.channel, func.count())
            .where(
                OutboxMessage.next_attempt_at <= now, OutboxMessage.channel.not_in(list(senders))
            )
            .group_by(OutboxMessage.channel)
        ).all()
    return {channel: int(count) for channel, count in rows}


class OutboxWorker:
    """A thread of the service process that runs a pass every ``interval`` seconds."""

    def __init__(
        self, ctx: ServiceContext, senders: Senders, interval: float = INTERVAL_SECONDS
    ) -> None:
        self.ctx, self.senders, self.interval = ctx, senders, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="healthcert-outbox", daemon=True)

    def start(self) -> OutboxWorker:
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        warned: set[str] = set()
        while not self._stop.is_set():
            try:
                done = deliver_due(self.ctx, self.senders)
            except Exception:  # the database may be away for a while: try again next round
                log.exception("outbox pass failed")
            else:
                for channel in set(done.waiting) - warned:
                    log.warning("no sender configured", extra={"channel": channel})
                warned |= set(done.waiting)
            self._stop.wait(self.interval)
