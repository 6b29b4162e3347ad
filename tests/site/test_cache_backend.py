"""The Redis cache backend of CACHE_URL, against a real Redis: one client per pool, and the notice cache on it."""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.core.cache import caches

from cms.caching import cached, notice_cache_bump
from config.cache import PooledRedisCache
from tests.conftest import redis_url

pytestmark = pytest.mark.redis


def redis_cache_settings() -> dict:
    """The default cache on Redis database 15, under a key prefix of this test's own."""
    location = urlunsplit(urlsplit(redis_url())._replace(path="/15"))
    return {
        "default": {
            "BACKEND": "config.cache.PooledRedisCache",
            "LOCATION": location,
            "KEY_PREFIX": f"test-{uuid.uuid4().hex}",
        }
    }


def test_one_client_serves_every_call_of_the_process():
    backend = PooledRedisCache(urlunsplit(urlsplit(redis_url())._replace(path="/15")), {"KEY_PREFIX": uuid.uuid4().hex})
    client = backend._cache.get_client()
    assert backend._cache.get_client(write=True) is client
    # and it is a working cache: every operation the notice cache uses
    backend.set("page", (1, "<html>"), 30)
    assert backend.add("version", 7, None) and not backend.add("version", 8, None)
    assert backend.incr("version") == 8
    assert backend.get_many(["version", "page", "absent"]) == {"version": 8, "page": (1, "<html>")}
    backend.delete_many(["page", "version"])
    assert backend.get("page") is None


@pytest.mark.django_db
def test_the_notice_cache_on_redis_renders_afresh_after_a_bump(settings):
    settings.CACHES = redis_cache_settings()
    assert isinstance(caches["default"], PooledRedisCache)
    renders = []

    def produce():
        renders.append(1)
        return f"render {len(renders)}"

    assert cached("test-list", ["p1"], produce) == "render 1"
    assert cached("test-list", ["p1"], produce) == "render 1"  # a hit: no render
    notice_cache_bump()  # a notice published (the test's transaction bumps at once)
    assert cached("test-list", ["p1"], produce) == "render 2"
    assert len(renders) == 2
