"""How every traveller's page answers: in the visitor's language, with this browser's form
token, never kept by an HTTP cache; a redirect after a post; the page for what is not there."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse

from healthcert.model.display import display_name
from healthcert.web import i18n
from healthcert.web.holder_session import form_token, session_token, with_token
from healthcert.web.holder_view import moment_text
from healthcert.web.templates import render

# As the other pages; a holder page names a person, so no HTTP cache keeps it (the service
# worker keeps its own copy on the holder's device, for offline reading).
HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def language(request: Request, asked: str | None = None) -> str:
    return i18n.choose(
        asked or request.query_params.get("lang"), request.headers.get("accept-language")
    )


def page(
    request: Request, template: str, lang: str, status: int = 200, **values: Any
) -> HTMLResponse:
    """A holder page in ``lang``, with this browser's form token."""
    token = form_token(request)
    body = render(
        template,
        lang,
        request.url.path,
        form_token=token,
        signed_in=bool(session_token(request)),
        country_name=lambda code: display_name("country", code, lang),
        moment=moment_text,
        **values,
    )
    response = HTMLResponse(body, status_code=status, headers=HEADERS)
    with_token(request, response, token)
    return response


def go(path: str, lang: str) -> RedirectResponse:
    """After a post: to ``path`` in the page's language (303: the browser gets it)."""
    return RedirectResponse(f"{path}?lang={lang}", status_code=303, headers=HEADERS)


def not_found(request: Request, lang: str, gone: bool = False) -> HTMLResponse:
    """Another's certificate or declaration reads as one that does not exist; ``gone``: what
    was asked for is the holder's but withdrawn from use (a revoked certificate's paper)."""
    return page(request, "holder/missing.html", lang, 410 if gone else 404, gone=gone)
