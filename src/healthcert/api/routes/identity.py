"""The identity sources' API: a passport office or consulate sets where a holder's sign-in codes
go. Any key may call it; only a key created as an identity source is obeyed (403 otherwise)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import Field

from healthcert.api.auth import Service, require_role
from healthcert.service.apikeys import ROLES
from healthcert.service.audit import Actor
from healthcert.service.contacts import Contact, set_contact
from healthcert.service.person import IdentityIn

router = APIRouter(prefix="/identity", tags=["identity"])
AnyKey = Annotated[Actor, Depends(require_role(*ROLES))]


class ContactBody(IdentityIn):
    contact: Annotated[
        str,
        Field(
            min_length=3,
            max_length=200,
            description="An e-mail address or an E.164 phone number (+8613800000000)",
        ),
    ]


@router.put("/contact")
def put_contact(body: ContactBody, ctx: Service, actor: AnyKey) -> dict[str, object]:
    """Set the person's contact for sign-in codes and notices. A change is announced to the
    previous contact; setting the same contact again changes nothing."""
    contact = Contact.parse(body.contact)
    changed = set_contact(ctx, body.person(), contact, actor)
    return {"channel": contact.channel, "changed": changed}
