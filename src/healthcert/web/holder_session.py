"""The traveller's pages' session and form protection.

The session is the holder session of ``service.signin``, its token kept in a cookie the pages'
scripts cannot read (HttpOnly), sent only by this site's own pages (SameSite=Strict), only over
https when the page came over https (Secure), and only to ``/holder``. Each form carries the
value of a second cookie (double submit): a post whose field does not match was not made by a
page of this site."""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import Depends, Request, Response

from healthcert.api.auth import Service
from healthcert.service.errors import Unauthorised
from healthcert.service.signin import SESSION_LIFETIME, HolderSession, Person, session_person

SESSION_COOKIE = "healthcert_holder"
CSRF_COOKIE = "healthcert_form"
CSRF_FIELD = "form_token"
PATH = "/holder"


class SignInNeeded(Exception):
    """No session, or one that expired: the page sends the visitor to sign in."""

    def __init__(self, expired: bool) -> None:
        super().__init__("sign in first")
        self.expired = expired


class FormRefused(Exception):
    """A post without the form token of this browser's pages."""


def signed_in(request: Request, ctx: Service) -> Person:
    """The person of the session cookie; SignInNeeded without one or when it has expired."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise SignInNeeded(expired=False)
    try:
        return session_person(ctx, token)
    except Unauthorised:
        raise SignInNeeded(expired=True) from None


Traveller = Annotated[Person, Depends(signed_in)]


def session_token(request: Request) -> str | None:
    return request.cookies.get(SESSION_COOKIE)


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def keep_session(request: Request, response: Response, opened: HolderSession) -> None:
    """Put the session in its cookie; it lives as long as the session."""
    response.set_cookie(
        SESSION_COOKIE,
        opened.token,
        max_age=int(SESSION_LIFETIME.total_seconds()),
        path=PATH,
        secure=_secure(request),
        httponly=True,
        samesite="strict",
    )


def forget_session(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path=PATH, httponly=True, samesite="strict")


def form_token(request: Request) -> str:
    """The token this browser's forms carry: its cookie's, or a new one (see ``with_token``)."""
    return request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)


def with_token(request: Request, response: Response, token: str) -> Response:
    """Set the form token's cookie when the browser did not have it yet."""
    if request.cookies.get(CSRF_COOKIE) != token:
        response.set_cookie(
            CSRF_COOKIE,
            token,
            path=PATH,
            secure=_secure(request),
            httponly=True,
            samesite="strict",
        )
    return response


def check_form(request: Request, sent: str | None) -> None:
    """FormRefused unless the post carries the token of this browser's cookie."""
    kept = request.cookies.get(CSRF_COOKIE)
    if not kept or not sent or not hmac.compare_digest(kept.encode(), sent.encode()):
        raise FormRefused
