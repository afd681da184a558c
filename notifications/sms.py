"""SMS through a generic HTTP gateway, split into parts that fit one SMS each.

The gateway receives one JSON POST per part:
``{"to": "+4915123456789", "text": "...", "id": "treffpunkt-42-1", "part": 1, "parts": 2}``
and answers 2xx when it accepted it. ``id`` is stable per part, so a gateway can drop a
resend. Adapt a provider by a small proxy that maps this shape to its API.
"""

from __future__ import annotations

import httpx

GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = set("^{}\\[~]|€")


def is_gsm7(text: str) -> bool:
    return all(ch in GSM7 or ch in GSM7_EXTENDED for ch in text)


def split_sms(text: str) -> list[str]:
    """Parts of at most 160 GSM-7 characters (153 when split), or 70/67 for other scripts."""
    gsm = is_gsm7(text)
    single, multi = (160, 153) if gsm else (70, 67)

    def length(chunk: str) -> int:
        return sum(2 if gsm and ch in GSM7_EXTENDED else 1 for ch in chunk)

    if length(text) <= single:
        return [text]
    parts: list[str] = []
    current = ""
    for word in text.split(" "):
        candidate = f"{current} {word}" if current else word
        if length(candidate) <= multi:
            current = candidate
            continue
        if current:
            parts.append(current)
        while length(word) > multi:
            parts.append(word[:multi])
            word = word[multi:]
        current = word
    if current:
        parts.append(current)
    return parts


async def send_sms(gateway_url: str, to: str, text: str, message_id: int) -> None:
    parts = split_sms(text)
    async with httpx.AsyncClient(timeout=10.0) as client:
        for number, part in enumerate(parts, start=1):
            response = await client.post(
                gateway_url,
                json={
                    "to": to,
                    "text": part,
                    "id": f"treffpunkt-{message_id}-{number}",
                    "part": number,
                    "parts": len(parts),
                },
            )
            response.raise_for_status()
