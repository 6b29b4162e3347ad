"""RSS 2.0 and Atom feeds of the public notices, all types or one (django.contrib.syndication)."""

from __future__ import annotations

from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed, SyndicationFeed
from django.utils.html import escape
from django.utils.translation import gettext as _

from .models import NoticePage, NoticeRequest
from .selectors import notice_list_for_feed


class NoticeRssFeed(Feed):
    """The latest active notices as RSS 2.0; one instance per request (it keeps the request for URLs)."""

    feed_type: type[SyndicationFeed] = Rss201rev2Feed

    def get_object(self, request, kind: str = ""):
        self.request = request
        return kind

    def title(self, kind: str) -> str:
        if kind:
            return _("中介超市公告：%(kind)s") % {"kind": NoticeRequest.Kind(kind).label}
        return _("中介超市公告公示")

    def link(self, kind: str) -> str:
        return reverse("notice-list-kind", kwargs={"kind": kind}) if kind else reverse("notice-list")

    def description(self, kind: str) -> str:
        return _("采购公告、中选结果、合同公告与信用措施公示，按发布时间排列。")

    def items(self, kind: str) -> list[NoticePage]:
        return notice_list_for_feed(kind)

    def item_title(self, item: NoticePage) -> str:
        return item.title

    def item_link(self, item: NoticePage) -> str:
        return item.get_url(request=self.request)

    def item_description(self, item: NoticePage) -> str:
        # Readers treat an RSS description and an Atom summary (type="html") as HTML: the summary is
        # plain text, so it is HTML-escaped here and XML-escaped again by the feed writer.
        return escape(item.summary)

    def item_pubdate(self, item: NoticePage):
        return item.first_published_at

    def item_updateddate(self, item: NoticePage):
        return item.last_published_at

    def item_categories(self, item: NoticePage) -> tuple[str, ...]:
        return (item.get_kind_display(),)


class NoticeAtomFeed(NoticeRssFeed):
    """The same notices as an Atom 1.0 feed."""

    feed_type = Atom1Feed

    def subtitle(self, kind: str) -> str:
        return self.description(kind)


FEEDS: dict[str, type[NoticeRssFeed]] = {"rss": NoticeRssFeed, "atom": NoticeAtomFeed}
