"""Fixed-window rate limits shared by all web processes through Redis.

If Redis is unreachable the limit falls back to this process's memory: a sign-up must
never fail because the doorbell is down.
"""

from __future__ import annotations

import time
from collections import OrderedDict

from app.redis_client import get_redis
from app.settings import RateLimit

_local: OrderedDict[str, int] = OrderedDict()
_LOCAL_MAX_KEYS = 10_000


async def hit(bucket: str, client: str, limit: RateLimit) -> int | None:
    """Count one request; returns seconds to wait when over the limit, else ``None``."""
    if not limit.enabled:
        return None
    window = int(time.time() // limit.period_seconds)
    key = f"treffpunkt:rl:{bucket}:{client}:{window}"
    retry_after = limit.period_seconds - int(time.time()) % limit.period_seconds
    try:
        pipe = get_redis().pipeline(transaction=True)
        pipe.incr(key)
        pipe.expire(key, limit.period_seconds + 1)
        count, _ = await pipe.execute()
    except Exception:  # Redis down or slow: count locally instead
        count = _local.get(key, 0) + 1
        _local[key] = count
        _local.move_to_end(key)
        while len(_local) > _LOCAL_MAX_KEYS:
            _local.popitem(last=False)
    return retry_after if int(count) > limit.count else None
