"""The service's edge: every request gets an id, a bounded body and only text a database can
store; an unexpected failure becomes a JSON 500 naming that id, and one structured log line.

Plain ASGI, like the access log: it runs before routing, so nothing it refuses reaches a query.
"""

from __future__ import annotations

import json
import logging
import re
import traceback
import uuid
from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple
from urllib.parse import parse_qsl

from fastapi import FastAPI
from starlette.datastructures import Headers, MutableHeaders
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from healthcert.api.errors import error_body

REQUEST_ID = "X-Request-ID"
# An OpenAPI extension on a route that takes more than the service's body limit (uploads).
BODY_LIMIT_KEY = "x-max-body-bytes"
# What a multipart upload adds around its file (boundaries, part headers, form fields).
MULTIPART_SLACK = 64 * 1024
UNSTORABLE = "text may not contain NUL characters or unpaired surrogates"
# An incoming id is kept when it is short and plain (a proxy's UUID or trace id).
_SANE_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
_BAD_TEXT = re.compile("[\x00\ud800-\udfff]")
# A JSON body can spell NUL or a surrogate only as an escape; without one it cannot hold either.
_BAD_ESCAPE = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])")
log = logging.getLogger("healthcert.api")


def install(app: FastAPI) -> None:
    """Guard ``app``: add before the access log, so the log sees the guard's answers."""
    app.add_middleware(Guard)


def body_limit(max_bytes: int) -> dict[str, Any]:
    """A route's ``openapi_extra`` for a body larger than the service's limit."""
    return {BODY_LIMIT_KEY: max_bytes}


class Refusal(NamedTuple):
    status: int
    detail: str
    problems: tuple[dict[str, str], ...] = ()


class Guard:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._larger: list[tuple[str, re.Pattern[str], int]] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _request_id(Headers(scope=scope).get(REQUEST_ID))
        scope.setdefault("state", {})["request_id"] = request_id
        started = False

        async def sending(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                MutableHeaders(scope=message).append(REQUEST_ID, request_id)
            await send(message)

        try:
            refusal, receive = await self._admit(scope, receive)
            if refusal is not None:
                body = error_body(refusal.detail, refusal.problems, request_id)
                await _answer(sending, refusal.status, body)
                return
            await self.app(scope, receive, sending)
        except Exception as error:
            _log_failure(scope, request_id, error)
            if started:
                raise
            detail = "internal error: quote the request id when reporting it"
            body = error_body(detail, [], request_id)
            await _answer(sending, 500, body)

    async def _admit(self, scope: Scope, receive: Receive) -> tuple[Refusal | None, Receive]:
        """A refusal or None, and the receive the app reads the (already read) body from."""
        problems = tuple(_url_problems(scope))
        if problems:
            return Refusal(422, "invalid request", problems), receive
        headers = Headers(scope=scope)
        if "content-length" not in headers and "transfer-encoding" not in headers:
            return None, receive
        limit = self._limit(scope)
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            return Refusal(413, _too_large(limit)), receive
        body = await _read(receive, limit)
        if body is None:
            return Refusal(413, _too_large(limit)), receive
        if _is_json(headers.get("content-type")):
            found = _json_problems(body)
            if found:
                return Refusal(422, "invalid request", tuple(found)), receive
        return None, _replay(body, receive)

    def _limit(self, scope: Scope) -> int:
        default: int = scope["app"].state.service.max_body_bytes
        if self._larger is None:
            self._larger = _documented_limits(scope["app"].openapi())
        for method, path, limit in self._larger:
            if method == scope["method"] and path.fullmatch(scope["path"]):
                return max(limit, default)
        return default


def _documented_limits(document: dict[str, Any]) -> list[tuple[str, re.Pattern[str], int]]:
    """(method, path pattern, limit) of each operation the OpenAPI document gives a larger
    body: the limit a client reads is the limit applied."""
    return [
        (method.upper(), compile_path(path)[0], int(operation[BODY_LIMIT_KEY]))
        for path, operations in document.get("paths", {}).items()
        for method, operation in operations.items()
        if isinstance(operation, dict) and BODY_LIMIT_KEY in operation
    ]


def _request_id(incoming: str | None) -> str:
    if incoming is not None and _SANE_ID.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


def _too_large(limit: int) -> str:
    return f"the request body is larger than {limit} bytes"


def _url_problems(scope: Scope) -> Iterator[dict[str, str]]:
    if _BAD_TEXT.search(scope["path"]):
        yield {"field": "path", "message": UNSTORABLE}
    query: bytes = scope.get("query_string", b"")
    # Decoded as the app will (percent escapes, UTF-8 with replacement): only NUL survives.
    if b"%00" in query or b"\x00" in query:
        for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
            if _BAD_TEXT.search(name) or _BAD_TEXT.search(value):
                yield {"field": f"query.{_printable(name)}", "message": UNSTORABLE}


async def _read(receive: Receive, limit: int) -> bytes | None:
    """The whole body, or None once it passes ``limit`` bytes."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replaying() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replaying


def _is_json(content_type: str | None) -> bool:
    # FastAPI reads a body without a content type as JSON too.
    return content_type is None or "json" in content_type.lower()


def _json_problems(body: bytes) -> list[dict[str, str]]:
    if not _BAD_ESCAPE.search(body):
        return []
    try:
        document = json.loads(body)
    except ValueError:
        return []  # not JSON: the route's own validation answers
    return [{"field": path or "body", "message": UNSTORABLE} for path in _bad_strings(document, "")]


def _bad_strings(value: Any, path: str) -> Iterable[str]:
    if isinstance(value, str):
        if _BAD_TEXT.search(value):
            yield path
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _bad_strings(item, _join(path, str(index)))
    elif isinstance(value, dict):
        for key, item in value.items():
            if _BAD_TEXT.search(key):
                yield _join(path, _printable(key))
            else:
                yield from _bad_strings(item, _join(path, key))


def _join(path: str, part: str) -> str:
    return f"{path}.{part}" if path else part


def _printable(text: str) -> str:
    return _BAD_TEXT.sub("\ufffd", text)[:200]


async def _answer(send: Send, status: int, body: dict[str, Any]) -> None:
    content = json.dumps(body, ensure_ascii=False).encode("utf-8")
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(content)).encode("ascii")),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": content})


def _log_failure(scope: Scope, request_id: str, error: Exception) -> None:
    """Type and place only: an exception's message may quote a payload or a database row."""
    frames = traceback.extract_tb(error.__traceback__)
    place = f"{frames[-1].filename.rsplit('/', 1)[-1]}:{frames[-1].lineno}" if frames else None
    route = scope.get("route")
    log.error(
        "unhandled error",
        extra={
            "request_id": request_id,
            "method": scope["method"],
            "route": getattr(route, "path", None),
            "exception": f"{type(error).__module__}.{type(error).__qualname__}",
            "where": place,
        },
    )
