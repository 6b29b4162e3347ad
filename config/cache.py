"""Django's Redis cache, with one Redis client per connection pool instead of one per cache call.

Django's ``RedisCacheClient.get_client`` builds a new ``redis.Redis`` for every operation, and
redis-py's constructor fills a table of about 170 response callbacks each time: some 0.2 ms per
call, measured as a quarter of the cost of serving a cached public page (``bench/bench_notices.py``).
A client over a connection pool is safe to share between threads (each command borrows a
connection from the pool), and the pool itself re-creates its connections after a fork, so one
client per pool serves every call of the process.
"""

from __future__ import annotations

from typing import Any

from django.core.cache.backends.redis import RedisCache, RedisCacheClient


class PooledRedisCacheClient(RedisCacheClient):
    """``RedisCacheClient`` that keeps the client it makes for each connection pool."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients.setdefault(id(pool), self._client(connection_pool=pool))
        return client


class PooledRedisCache(RedisCache):
    """The Redis cache backend of ``CACHE_URL`` (see ``PooledRedisCacheClient``)."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = PooledRedisCacheClient
