"""The cache the rate limits count in (settings.CACHES["limits"] with Redis): Django's Redis cache with
an increment in one step. Django's own reads EXISTS, then INCRs: two round trips, and a counter that
expires between the two is created again by the INCR without an expiry, so that its address would stay
over its limit for good. Here one Lua script does both, atomically. django-ratelimit adds the counter
(SET NX with its expiry) and then increments it; that is all the limits ask of the cache."""

from typing import Any

from django.core.cache.backends.redis import RedisCache, RedisCacheClient

# Increment the counter if it exists (keeping its expiry); nil (None) if it does not.
_INCR_EXISTING = "if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('INCRBY', KEYS[1], ARGV[1]) end"


class CounterClient(RedisCacheClient):
    def incr(self, key: str | bytes | memoryview, delta: int) -> int:
        value = self.get_client(key, write=True).eval(_INCR_EXISTING, 1, key, delta)
        if value is None:
            raise ValueError(f"Key '{key!s}' not found.")  # what Django's incr raises; django-ratelimit expects it
        return int(value)


class CounterCache(RedisCache):
    def __init__(self, server: Any, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = CounterClient
