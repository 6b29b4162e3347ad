"""The OpenAPI document covers the project's API only (Wagtail's admin API would otherwise show in it)."""

from __future__ import annotations


def api_paths_only(endpoints: list, **kwargs) -> list:
    """drf-spectacular preprocessing hook: keep the endpoints under /api/v1/."""
    return [endpoint for endpoint in endpoints if endpoint[0].startswith("/api/v1/")]
