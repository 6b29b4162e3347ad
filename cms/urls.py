"""Public notice lists and feeds; included before Wagtail's catch-all, which serves each notice page."""

from django.urls import path, register_converter

from . import views
from .models import NoticeRequest


class NoticeKindConverter:
    """A notice type in a URL: only the known types match, so notice slugs never collide with a list."""

    regex = "|".join(NoticeRequest.Kind.values)

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(NoticeKindConverter, "notice_kind")

urlpatterns = [
    path("notices/", views.notice_list, name="notice-list"),
    path("notices/feed/rss/", views.notice_feed, {"fmt": "rss"}, name="notice-feed-rss"),
    path("notices/feed/atom/", views.notice_feed, {"fmt": "atom"}, name="notice-feed-atom"),
    path("notices/<notice_kind:kind>/", views.notice_list, name="notice-list-kind"),
    path("notices/<notice_kind:kind>/feed/rss/", views.notice_feed, {"fmt": "rss"}, name="notice-feed-kind-rss"),
    path("notices/<notice_kind:kind>/feed/atom/", views.notice_feed, {"fmt": "atom"}, name="notice-feed-kind-atom"),
]
