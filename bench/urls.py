"""The benchmarks' URL map (``config.settings.bench``): the site's own URLs plus a bare baseline view."""

from django.http import HttpRequest, HttpResponse
from django.urls import include, path


def bare(request: HttpRequest) -> HttpResponse:
    """A trivial response through the whole middleware stack: bench_notices.py's baseline."""
    return HttpResponse(b"ok", content_type="text/plain")


urlpatterns = [
    # Before the site's URLs: their last pattern is Wagtail's catch-all, which would serve this path.
    path("bench/bare/", bare, name="bench-bare"),
    path("", include("config.urls")),
]
