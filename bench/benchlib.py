"""What the benchmarks share: a PostgreSQL database of their own, failing with a message, timing a step.

Each ``bench/bench_*.py`` imports it as ``benchlib`` (a script's own folder is first on ``sys.path``).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit, urlunsplit

T = TypeVar("T")


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
