"""Flattening a message to the bytes that go over SMTP, without the ``email`` package's object model.

Every message has the same few shapes (plain text and HTML as alternatives; for a ticket,
the QR code next to the HTML and the session as a calendar attachment), so the MIME
structure is written directly: headers encoded per RFC 2047 where they are not ASCII,
every body part base64 in lines of 76 characters, CRLF line ends. This is several times
cheaper than building an ``EmailMessage`` and flattening it, which mattered for the
reminder throughput (bench/README.md). The result parses back with the standard library
(tests do exactly that).
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from email.header import Header
from functools import lru_cache

CRLF = b"\r\n"


@dataclass(frozen=True, slots=True)
class Part:
    """One MIME part: a leaf with ``data`` or, with ``parts``, a multipart of ``content_type``."""

    content_type: str  # e.g. 'text/plain; charset="utf-8"' or 'multipart/alternative'
    data: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()
    parts: tuple[Part, ...] = field(default_factory=tuple)


def header(name: str, value: str) -> bytes:
    """``Name: value`` folded to 78 columns; non-ASCII text as RFC 2047 encoded words."""
    if value.isascii() and len(name) + len(value) < 76:
        return f"{name}: {value}".encode("ascii") + CRLF
    return _encoded_header(name, value)


@lru_cache(maxsize=1024)
def _encoded_header(name: str, value: str) -> bytes:
    """The slow path of :func:`header`; a batch of reminders shares a few subjects, so cached."""
    encoded = Header(value, "us-ascii" if value.isascii() else "utf-8", header_name=name).encode(linesep="\r\n")
    return f"{name}: {encoded}".encode("ascii") + CRLF


def _base64(data: bytes) -> bytes:
    return base64.encodebytes(data).replace(b"\n", CRLF)


def _part(part: Part) -> tuple[bytes, bytes]:
    """(headers, body) of one part."""
    head = [f"Content-Type: {part.content_type}".encode("ascii")]
    if part.parts:
        boundary = f"=_tp_{secrets.token_hex(12)}"
        head[0] += f'; boundary="{boundary}"'.encode("ascii")
        body = bytearray()
        for child in part.parts:
            child_head, child_body = _part(child)
            body += b"--" + boundary.encode("ascii") + CRLF + child_head + CRLF + child_body
        body += b"--" + boundary.encode("ascii") + b"--" + CRLF
        return CRLF.join(head) + CRLF, bytes(body)
    head.extend(f"{name}: {value}".encode("ascii") for name, value in part.headers)
    head.append(b"Content-Transfer-Encoding: base64")
    return CRLF.join(head) + CRLF, _base64(part.data)


def flatten(headers: Iterable[tuple[str, str]], root: Part) -> bytes:
    """The whole message: top-level headers, ``MIME-Version``, then the root part."""
    out = bytearray()
    for name, value in headers:
        if name == "To" and not value.isascii():
            out += f"To: {value}".encode() + CRLF  # an internationalised address (SMTPUTF8, RFC 6532)
        else:
            out += header(name, value)
    out += b"MIME-Version: 1.0" + CRLF
    root_head, root_body = _part(root)
    out += root_head + CRLF + root_body
    return bytes(out)


def text(content: str, subtype: str = "plain") -> Part:
    """A text part in canonical form: UTF-8 with CRLF line ends (RFC 2045)."""
    canonical = content.replace("\r\n", "\n").replace("\n", "\r\n")
    return Part(f'text/{subtype}; charset="utf-8"', canonical.encode("utf-8"))
