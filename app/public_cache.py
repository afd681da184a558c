"""A one-second memory of the public answers every anonymous visitor gets alike.

The upcoming-sessions page and the calendar feed of an activity look the same to everyone
who is not signed in (per language). Under load, building them again for each visitor
was nearly all of their cost: a database read and a page render for an answer that had
not changed (bench/README.md). This middleware keeps such an answer for at most
:data:`TTL_SECONDS` and hands it out again without reaching the handler.

Freshness:

* any change handled by this process (a request other than GET/HEAD/OPTIONS) forgets
  every kept answer before its own answer is sent, so whoever changed something and
  then looks sees the change (``treffpunkt serve`` runs one web process);
* a change made elsewhere (another web process, the worker) shows within
  :data:`TTL_SECONDS`.

Only answers for anonymous visitors are kept: a request with a bearer token, a session
cookie (or any cookie besides language and CSRF), or a conditional header goes to the
handler as always. Only ``200`` answers without personal cookies are kept; the CSRF
cookie a page sets for its first visitor is not handed to the next ones.
"""

from __future__ import annotations

import re
import time
from collections import OrderedDict
from dataclasses import dataclass

from litestar.types import ASGIApp, Message, Receive, Scope, Send

from app.i18n import LANGUAGE_COOKIE

TTL_SECONDS = 1.0
MAX_ENTRIES = 256
MAX_BODY_BYTES = 256 * 1024  # a bigger answer is not kept
MAX_TOTAL_BYTES = 8 * 1024 * 1024  # all kept answers together: a web process stays well under 120 MB

# The routes whose answers do not depend on who asks (besides the language).
CACHEABLE_PATHS = re.compile(r"^/$|^/ics/activities/\d+\.ics$")
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_PUBLIC_COOKIES = frozenset({LANGUAGE_COOKIE, "tp_csrf"})
_BYPASS_HEADERS = frozenset({b"authorization", b"if-none-match", b"if-modified-since", b"range"})

_Key = tuple[str, bytes, bytes, str]


@dataclass(frozen=True, slots=True)
class _Answer:
    generation: int
    expires: float
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes


class _Memory:
    def __init__(self) -> None:
        self.generation = 0
        self.answers: OrderedDict[_Key, _Answer] = OrderedDict()
        self.size = 0  # bytes of all kept bodies
        self.clock = time.monotonic

    def forget_all(self) -> None:
        self.generation += 1
        self.answers.clear()
        self.size = 0

    def _drop(self, key: _Key) -> None:
        self.size -= len(self.answers.pop(key).body)

    def get(self, key: _Key) -> _Answer | None:
        answer = self.answers.get(key)
        if answer is None:
            return None
        if answer.generation != self.generation or answer.expires <= self.clock():
            self._drop(key)
            return None
        return answer

    def keep(self, key: _Key, answer: _Answer) -> None:
        if answer.generation != self.generation:  # something changed while it was being built
            return
        if key in self.answers:
            self._drop(key)
        self.answers[key] = answer
        self.size += len(answer.body)
        while len(self.answers) > MAX_ENTRIES or self.size > MAX_TOTAL_BYTES:
            self._drop(next(iter(self.answers)))  # the oldest


memory = _Memory()


def forget_public_answers() -> None:
    """Forget every kept answer (something they show has changed)."""
    memory.forget_all()


def _cache_key(scope: Scope) -> _Key | None:
    """The key for an anonymous request to a cacheable route, else ``None``."""
    accept_language = b""
    language_cookie = ""
    for name, value in scope["headers"]:
        if name in _BYPASS_HEADERS:
            return None
        if name == b"accept-language":
            accept_language = value
        elif name == b"cookie":
            for part in value.decode("latin-1").split(";"):
                cookie, _, cookie_value = part.strip().partition("=")
                if cookie == LANGUAGE_COOKIE:
                    language_cookie = cookie_value
                elif cookie and cookie not in _PUBLIC_COOKIES:
                    return None  # a session, or something we do not know: not an anonymous visitor
    return (scope["path"], scope.get("query_string", b""), accept_language, language_cookie)


def _public_headers(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]] | None:
    """The headers to hand to later visitors: without the CSRF cookie; ``None`` if personal."""
    kept: list[tuple[bytes, bytes]] = []
    for name, value in headers:
        if name.lower() == b"set-cookie":
            cookie = value.split(b"=", 1)[0].decode("latin-1").strip()
            if cookie == "tp_csrf":
                continue
            if cookie != LANGUAGE_COOKIE:
                return None
        kept.append((name, value))
    return kept


class PublicCacheMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = scope["method"]  # type: ignore[typeddict-item]  # an HTTP scope
        if method not in _SAFE_METHODS:
            await self.app(scope, receive, _forgetting_on_answer(send))
            return
        key = _cache_key(scope) if method == "GET" and CACHEABLE_PATHS.match(scope["path"]) else None
        if key is None:
            await self.app(scope, receive, send)
            return
        answer = memory.get(key)
        if answer is not None:
            await send({"type": "http.response.start", "status": answer.status, "headers": answer.headers})
            await send({"type": "http.response.body", "body": answer.body, "more_body": False})
            return
        await self.app(scope, receive, _remembering(send, key, memory.generation))


def _forgetting_on_answer(send: Send) -> Send:
    async def wrapper(message: Message) -> None:
        if message["type"] == "http.response.start":
            memory.forget_all()  # the change is committed: nobody gets the old page after this answer
        await send(message)

    return wrapper


def _remembering(send: Send, key: _Key, generation: int) -> Send:
    start: dict[str, object] = {}
    chunks: list[bytes] = []
    size = 0

    async def wrapper(message: Message) -> None:
        nonlocal size
        if message["type"] == "http.response.start":
            start.update(status=message["status"], headers=list(message.get("headers", ())))
        elif message["type"] == "http.response.body" and start.get("status") == 200 and size <= MAX_BODY_BYTES:
            body = message.get("body", b"")
            chunks.append(body)
            size += len(body)
            if not message.get("more_body", False) and size <= MAX_BODY_BYTES:
                headers = _public_headers(start["headers"])  # type: ignore[arg-type]
                if headers is not None:
                    memory.keep(
                        key,
                        _Answer(generation, memory.clock() + TTL_SECONDS, 200, headers, b"".join(chunks)),
                    )
        await send(message)

    return wrapper
