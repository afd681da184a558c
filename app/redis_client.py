"""The web process's connection to Redis (the doorbell for the worker, never the source of truth)."""

from __future__ import annotations

from redis.asyncio import Redis

from app.settings import get_settings

_client: Redis | None = None


def redis_url() -> str:
    url = get_settings().redis_url
    if url is None:
        raise RuntimeError("no Redis URL: the embedded Redis is only started by 'treffpunkt serve'")
    return url


def get_redis() -> Redis:
    global _client
    if _client is None:
        _client = Redis.from_url(redis_url(), socket_connect_timeout=1, socket_timeout=2, health_check_interval=30)
    return _client


async def close_redis() -> None:
    global _client
    if _client is not None:
        await _client.aclose()
        _client = None


async def redis_ok() -> bool:
    try:
        return bool(await get_redis().ping())
    except Exception:  # any failure means "not reachable right now"
        return False
