"""The embedded project (no CACHE_URL, no DATABASE_URL) shared by a web server and a Celery worker, as under
`make demo`: one cache every process sees, and SQLite writers that wait for each other instead of failing.

Each "other process" here is a real separate Python process with the project's own settings.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from django.db import OperationalError

from cms.caching import cached
from config.locks import DatabaseBusyMiddleware

ROOT = Path(__file__).resolve().parents[2]


def _embedded_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment of `make demo`'s processes: no engines named, the dev settings, files under ``tmp_path``."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"CACHE_URL", "DATABASE_URL", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.dev",
        ZJCS_CACHE_DIR=str(tmp_path / "cache"),
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        **extra,
    )
    return env


def _python(code: str, env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    script = "import django\ndjango.setup()\n" + textwrap.dedent(code)
    return subprocess.run(
        [sys.executable, "-c", script, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_the_embedded_cache_is_one_file_cache_for_every_process(tmp_path):
    result = _python(
        "from django.conf import settings\nprint(settings.CACHES['default']['BACKEND'], settings.CACHES['default']['LOCATION'])",
        _embedded_env(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    backend, location = result.stdout.split()
    assert backend == "django.core.cache.backends.filebased.FileBasedCache"
    assert location == str(tmp_path / "cache")


@pytest.mark.django_db
def test_a_notice_published_by_another_process_drops_this_process_cached_page(settings, tmp_path):
    # given this process (the web server) on the embedded default cache, with a public list cached
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(tmp_path / "cache"),
        }
    }
    renders: list[int] = []

    def produce() -> str:
        renders.append(1)
        return f"render {len(renders)}"

    assert cached("public-list", ["announcement"], produce) == "render 1"
    assert cached("public-list", ["announcement"], produce) == "render 1"  # served from the cache

    # when another process (the Celery worker) publishes a notice and bumps the notice version
    worker = _python("from cms.caching import notice_cache_bump\nnotice_cache_bump()", _embedded_env(tmp_path))
    assert worker.returncode == 0, worker.stderr

    # then this process renders the list afresh at once, not when its entry times out
    assert cached("public-list", ["announcement"], produce) == "render 2"


WRITER = """
import sys, time
from django.db import connection, transaction

for _ in range(int(sys.argv[1])):
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT n FROM counter WHERE id = 1")
            (n,) = cursor.fetchone()
            time.sleep(0.003)  # a request's work between reading and writing
            cursor.execute("UPDATE counter SET n = %s WHERE id = 1", [n + 1])
print("ok")
"""


def test_a_web_server_and_a_worker_writing_at_once_on_sqlite_wait_for_each_other(tmp_path):
    # given the embedded SQLite file, as `make demo` shares it between runserver and the worker
    db = tmp_path / "db.sqlite3"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)")
        conn.execute("INSERT INTO counter VALUES (1, 0)")
    env = _embedded_env(tmp_path)
    script = "import django\ndjango.setup()\n" + WRITER

    # when three processes each run transactions that read and then write the same row, all at once
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", script, "40"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        for _ in range(3)
    ]
    outcomes = [(w.wait(timeout=120), w.stderr.read().decode()) for w in writers]

    # then none met "database is locked": each waited for the lock, and no update was lost
    for code, stderr in outcomes:
        assert code == 0 and "OperationalError" not in stderr, stderr
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT n FROM counter WHERE id = 1").fetchone() == (120,)


def test_a_lock_that_outlasts_the_busy_timeout_answers_try_again_not_500(rf):
    # given a view that met SQLite's lock after waiting the whole busy timeout
    def locked_view(request):
        raise OperationalError("database is locked")

    middleware = DatabaseBusyMiddleware(locked_view)
    request = rf.post("/agency/membership/")

    # when Django hands the error to the middleware
    response = middleware.process_exception(request, OperationalError("database is locked"))

    # then the person is told to try again (503, Retry-After), in plain words
    assert response.status_code == 503 and response["Retry-After"] == "5"
    assert "系统正忙，您的操作未保存，请稍后重试。" in response.content.decode()
    # and any other database error is not hidden
    assert middleware.process_exception(request, OperationalError("no such table: x")) is None
