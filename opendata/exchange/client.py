"""HTTP to the credit platform (the standard library's urllib): the endpoint and token come from settings."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from django.conf import settings

TIMEOUT_SECONDS = 15
MAX_RESPONSE_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class Answer:
    """What the platform said: a status code (None when nothing came back), the body, or the error."""

    status: int | None
    body: bytes = b""
    error: str = ""


def endpoint() -> str:
    """The configured endpoint, ending with a slash, or '' when the exchange is not configured."""
    url = (settings.ZJCS_CREDIT_EXCHANGE_URL or "").strip()
    return url if not url or url.endswith("/") else url + "/"


def url_for(path: str) -> str:
    return endpoint() + path.lstrip("/")


def _headers() -> dict[str, str]:
    headers = {"Accept": "application/json", "User-Agent": "zjcs-credit-exchange/1"}
    if settings.ZJCS_CREDIT_EXCHANGE_TOKEN:
        headers["Authorization"] = f"Bearer {settings.ZJCS_CREDIT_EXCHANGE_TOKEN}"
    return headers


def _send(request: urllib.request.Request) -> Answer:
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            return Answer(response.status, response.read(MAX_RESPONSE_BYTES))
    except urllib.error.HTTPError as exc:
        return Answer(exc.code, exc.read(4096), f"HTTP {exc.code} {exc.reason}")
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return Answer(None, b"", str(getattr(exc, "reason", exc))[:500])


def post_json(path: str, payload: dict[str, Any]) -> Answer:
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(url_for(path), data=body, method="POST")
    for name, value in {**_headers(), "Content-Type": "application/json; charset=utf-8"}.items():
        request.add_header(name, value)
    return _send(request)


def get(path: str) -> Answer:
    request = urllib.request.Request(url_for(path), method="GET")
    for name, value in _headers().items():
        request.add_header(name, value)
    return _send(request)
