"""The test suite; its tree mirrors the code.

- ``conftest.py``: Chromium, the PostgreSQL/broker/Redis-only markers, a private media folder per test,
  ``fresh_policy_cache``;
- ``helpers.py``: plain shared helpers (PDF bytes, clock, waits, refetch, pages, query counts,
  ``assert_refused``, ``run_together``);
- ``factories/``: people, the entry path, credit states and procurement states, built through the services;
- ``marketplace/``, ``credit_rules/``, ``cms/``: one module per module of the app where it has tests;
- ``workflows/services/``: the services by process (membership, transitions, the project lifecycle,
  ``credit/``, ``procurement/``, ``delivery/``), ``workflows/views/``: the pages per role,
  ``workflows/selectors/``, and the draw, charts, tasks and demo beside them;
- ``browser/``: real Chromium (``flows.py`` holds the steps the stories share, ``axe.py`` axe-core);
- ``site/``: the shell and settings (home, languages, health check, production settings, the cache).
"""
