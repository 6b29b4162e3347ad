"""What the benchmarks share: a PostgreSQL database of their own, failing with a message, timing a step.

Each ``bench/bench_*.py`` imports it as ``benchlib`` (a script's own folder is first on ``sys.path``).
"""

from __future__ import annotations

import hashlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit, urlunsplit

T = TypeVar("T")

ROOT = Path(__file__).resolve().parent.parent


def fail(message: str) -> None:
    """Stop the benchmark with ``message`` on standard error (exit status 2)."""
    print(f"{Path(sys.argv[0]).stem}: {message}", file=sys.stderr)
    sys.exit(2)


def _server_url(why: str) -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        fail(
            f"needs PostgreSQL — {why}. Run with\n"
            f"  DATABASE_URL=postgres://postgres@127.0.0.1:5432/zjcs .venv/bin/python bench/{Path(sys.argv[0]).name}\n"
            "(the benchmark creates a database of its own on that server, dropped first)."
        )
    return url


def _admin(url: str):
    import psycopg

    return psycopg.connect(urlunsplit(urlsplit(url)._replace(path="/postgres")), autocommit=True)


def database_url(name: str, *, why: str, fresh: bool = True) -> str:
    """The URL of database ``name`` on the server ``DATABASE_URL`` points at, never that database itself.

    ``fresh``: drop it (if there) and create it empty; otherwise it must be one an earlier ``--keep`` left.
    """
    import psycopg

    parts = urlsplit(_server_url(why))
    url = urlunsplit(parts._replace(path=f"/{name}"))
    if fresh:
        try:
            with _admin(url) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                conn.execute(f'CREATE DATABASE "{name}"')
        except psycopg.OperationalError as exc:
            fail(f"cannot reach PostgreSQL at {parts.hostname}:{parts.port or 5432}: {exc}")
    return url


def database_exists(name: str, *, why: str) -> bool:
    """Whether database ``name`` exists on the server ``DATABASE_URL`` points at (one a ``--keep`` left)."""
    with _admin(_server_url(why)) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None


def drop_database(url: str) -> None:
    """Drop the bench database ``url`` names (close Django's connection to it first)."""
    with _admin(url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{urlsplit(url).path.lstrip("/")}" WITH (FORCE)')


def timed(label: str, func: Callable[[], T], digits: int = 2) -> T:
    """Run ``func``, print how long it took after ``label``, return its result."""
    started = time.perf_counter()
    result = func()
    print(f"  {label}: {time.perf_counter() - started:.{digits}f}s", flush=True)
    return result


def redis_answers(host: str = "127.0.0.1", port: int = 6379) -> bool:
    """Whether a Redis server answers PING at ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (for gunicorn)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def site_env(url: str, *, static_root: str, cache_prefix: str, cache_url: str = "") -> dict[str, str]:
    """The environment of the site on production settings routed through ``bench.urls`` (``config.settings.bench``).

    DEBUG off, the database ``url``, a secret key of that database's own (the same on each run: a kept
    database's sessions and sealed quotes, which the key signs and seals, stay readable when it is reused;
    a benchmark's database on the loopback, never a production key), the static files in ``static_root``, Redis at ``cache_url`` when given
    (keys under ``cache_prefix``, so runs never read each other's entries) and Celery eager unless a caller
    names a broker.
    """
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.bench",
        "DJANGO_SECRET_KEY": hashlib.sha512(f"zjcs-bench-secret:{url}".encode()).hexdigest(),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "ZJCS_BENCH_STATIC_ROOT": static_root,
        "ZJCS_BENCH_CACHE_PREFIX": cache_prefix,
        "LOG_LEVEL": "WARNING",
        "DB_CONN_MAX_AGE": "60",
        "DATABASE_URL": url,
    }
    for name in ("CACHE_URL", "CELERY_BROKER_URL", "ZJCS_DEMO", "ZJCS_TIME_SCALE"):
        env.pop(name, None)
    if cache_url:
        env["CACHE_URL"] = cache_url
    return env


def cache_prefix_drop(cache_url: str, prefix: str) -> int:
    """Delete the keys a run left in Redis under its ``prefix`` (the notice version keys never expire)."""
    import redis

    client = redis.Redis.from_url(cache_url)
    keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
    for first in range(0, len(keys), 1000):
        client.delete(*keys[first : first + 1000])
    return len(keys)


def http_status(url: str, cookie: str = "") -> tuple[int, str]:
    """Status and body of a GET to ``url``, redirects not followed (a 302 to the login page stays a 302)."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    try:
        with urllib.request.build_opener(NoRedirect).open(request, timeout=30) as response:
            return response.status, response.read().decode(errors="replace")
    except urllib.error.HTTPError as exc:
        return exc.code, ""


def gunicorn_start(env: dict[str, str], *, workers: int = 2, port: int = 0) -> tuple[subprocess.Popen, str]:
    """Start gunicorn on ``env`` (its own process group) and wait for ``/healthz``; returns it and its base URL."""
    port = port or free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [
            # The gunicorn installed beside this Python: the project's virtualenv, wherever it lives.
            str(Path(sys.executable).parent / "gunicorn"),
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--no-control-socket",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            if http_status(f"{base}/healthz")[0] == 200:
                return server, base
        except OSError:
            pass
        if time.monotonic() > deadline or server.poll() is not None:
            process_group_stop(server)
            fail("gunicorn did not come up")
        time.sleep(0.2)


def process_group_stop(process: subprocess.Popen, timeout: float = 30, *, gently: bool = False) -> None:
    """Stop a process started with ``start_new_session=True`` and everything it started (SIGTERM, then SIGKILL).

    ``gently``: SIGTERM to the process alone first, so it stops its children itself (a Celery worker finishes
    the task at hand: its warm shutdown); the group is signalled only if it has not stopped within ``timeout``.
    """
    if process.poll() is not None:
        return
    try:
        if gently:
            process.terminate()
            try:
                process.wait(timeout=timeout)
                return
            except subprocess.TimeoutExpired:
                pass
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=timeout)
    except ProcessLookupError:
        pass


def seed(env: dict[str, str], scale: int) -> None:
    """Migrate the bench database ``env`` names and seed it with ``seed_demo --scale``: the benchmarks' one call of it.

    seed_demo makes the data set: ``60 × scale`` agencies with what a year of the marketplace holds at that scale.
    """
    python = sys.executable
    for command in (["migrate", "--noinput", "-v0"], ["seed_demo", "--scale", str(scale)]):
        started = time.perf_counter()
        run = subprocess.run([python, "manage.py", *command], cwd=ROOT, env=env, capture_output=True, text=True)
        if run.returncode:
            fail(f"manage.py {' '.join(command)} failed:\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}")
        print(f"  manage.py {' '.join(command)}: {time.perf_counter() - started:.0f}s", flush=True)


def static_collect(env: dict[str, str]) -> None:
    """Collect the static files into the run's folder: production's manifest storage needs them to render."""
    call = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, capture_output=True
    )
    if call.returncode:
        fail(f"collectstatic failed:\n{call.stderr.decode()[-2000:]}")
