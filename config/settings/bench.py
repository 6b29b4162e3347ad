"""Settings of the benchmarks under gunicorn (bench/): the production settings, routed through ``bench.urls``.

Everything else is production: DEBUG off, whitenoise's manifest storage (collectstatic into
``ZJCS_BENCH_STATIC_ROOT``), the secret key and hosts from the environment. ``CACHE_URL`` (Redis)
is used when given, as in production; the bench's keys get their own prefix (``ZJCS_BENCH_CACHE_PREFIX``:
each run and each of its databases its own, so one never serves another's cached pages).
"""

from pathlib import Path

from config.settings.production import *  # noqa: F403
from config.settings.production import CACHES, os

# The site's URLs plus the benchmark's bare baseline view, which must not exist in production.
ROOT_URLCONF = "bench.urls"
STATIC_ROOT = Path(os.environ["ZJCS_BENCH_STATIC_ROOT"])
CACHES = {
    "default": {**CACHES["default"], "KEY_PREFIX": os.environ.get("ZJCS_BENCH_CACHE_PREFIX", "zjcs-bench-notices")}
}
