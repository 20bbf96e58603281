"""The contact a holder's sign-in codes and notices go to.

Only a key the authority marked as an identity source (a passport office, a consulate: an
``apikey create --identity-source``) sets it; what a laboratory writes in a record's
``contact`` is never used to reach anyone, so a laboratory that reports a record under someone
else's document with its own phone number receives nothing. A changed contact is announced to
the old one, so a person whose contact is taken over hears of it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select

from healthcert.database.tables import ApiKey, HolderContact
from healthcert.service import audit
from healthcert.service.errors import Forbidden, Invalid
from healthcert.service.person import is_person

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.orm import Session

    from healthcert.service.context import ServiceContext
    from healthcert.service.person import Person

EMAIL = "email"
SMS = "sms"
CHANNELS = (EMAIL, SMS)
MAX_ADDRESS = 200
_EMAIL = re.compile(
    r"[^@\s<>\"]{1,64}@"  # the local part, as mail servers accept it
    r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9-]{1,63})+"  # the domain
)
_PHONE = re.compile(r"\+[1-9][0-9]{6,14}")  # E.164
CHANGED = (
    "The contact for your healthcert sign-in was changed on {date} by {source}. If you did not "
    "ask for this, tell the issuer of your travel document."
)


@dataclass(frozen=True, slots=True)
class Contact:
    channel: str
    address: str

    @classmethod
    def parse(cls, text: str) -> Contact:
        """An e-mail address or an E.164 phone number (spaces, dots and dashes dropped);
        Invalid for anything else."""
        value = text.strip()
        if len(value) <= MAX_ADDRESS and _EMAIL.fullmatch(value):
            return cls(EMAIL, value)
        phone = re.sub(r"[\s.()-]", "", value)
        if _PHONE.fullmatch(phone):
            return cls(SMS, phone)
        message = "must be an e-mail address or a phone number in E.164 form (+8613800000000)"
        raise Invalid([{"field": "contact", "message": message}])


def contact_of(session: Session, person: Person) -> Contact | None:
    """The person's verified contact, None when no identity source gave one."""
    row = session.scalar(select(HolderContact).where(is_person(HolderContact, person)))
    return None if row is None else Contact(row.channel, row.address)


def set_contact(ctx: ServiceContext, person: Person, contact: Contact, actor: audit.Actor) -> bool:
    """Set the person's contact (True when it changed); Forbidden unless ``actor``'s key is an
    identity source. The old contact is told of a change, in the same transaction."""
    now = ctx.clock()
    with ctx.transaction() as session:
        source = _identity_source(session, actor)
        row = session.scalar(select(HolderContact).where(is_person(HolderContact, person)))
        if row is not None and (row.channel, row.address) == (contact.channel, contact.address):
            return False
        if row is None:
            row = HolderContact(**person.columns())
            session.add(row)
        else:
            old = Contact(row.channel, row.address)
            ctx.notifier.send(session, old, _changed(source, now), now)
        row.channel, row.address = contact.channel, contact.address
        row.source_key_id, row.updated_at = source.id, now
        session.flush()
        # The audit names the person by pseudonym and the channel, never the address.
        audit.append(
            session, actor, "contact.set", "person", person.key[:16], now, channel=contact.channel
        )
    return True


def _identity_source(session: Session, actor: audit.Actor) -> ApiKey:
    key = None if actor.key_id is None else session.get(ApiKey, actor.key_id)
    if key is None or not key.identity_source or key.revoked_at is not None:
        raise Forbidden("only an identity source's key sets a holder's contact")
    return key


def _changed(source: ApiKey, at: datetime) -> str:
    return CHANGED.format(date=at.date().isoformat(), source=source.label)
