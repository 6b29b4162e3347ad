"""The public endpoints: read-only, no login, cursor-paginated, each list from its public page's own selector.

What a list shows is what its page shows (same rows, same privacy: organisations only, quotes only after the close,
sealed quotes never). Only the order differs where a page sorts by a computed column: a cursor needs a column.
"""

from __future__ import annotations

from django.http import Http404, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cms.models import NoticePage
from cms.selectors import notice_list_for_public
from credit_rules.selectors import agency_list_for_directory, subject_list_for_blacklist, subject_list_for_redlist
from workflows.models import Project
from workflows.selectors.public import PUBLIC_STATES, project_list_for_search, project_page_for_public
from workflows.selectors.statistics import MEASURE_KINDS, statistics_for_public_cached

from . import serializers_public as s
from .filters import AgencyQuery, NoticeQuery, ProjectQuery
from .pagination import ApiCursor
from .problems import problem_responses

# A bad filter is a 400; an unreadable cursor a 404 (DRF's "invalid cursor").
BAD_QUERY = problem_responses(400, 404)
NOT_FOUND = problem_responses(404)


class PublicView:
    authentication_classes: list = []
    permission_classes: list = []
    pagination_class = ApiCursor
    query_class = None

    def query(self, request: Request):
        query = self.query_class(data=request.query_params)
        query.is_valid(raise_exception=True)
        return query.filters()


@extend_schema(tags=["public"], parameters=[ProjectQuery], responses={200: s.ProjectSerializer(many=True), **BAD_QUERY})
class ProjectList(PublicView, generics.ListAPIView):
    """项目查询: published projects, newest first, filtered as the project search page filters."""

    serializer_class = s.ProjectSerializer
    query_class = ProjectQuery
    cursor_ordering = ("-published_at", "-pk")

    def get_queryset(self):
        return project_list_for_search(self.query(self.request))


@extend_schema(tags=["public"], responses={200: s.ProjectDetailSerializer, **NOT_FOUND})
class ProjectDetail(PublicView, APIView):
    """A project's public page: announcement, the pool and ranking after the close, the winner, the contract."""

    def get(self, request: Request, code: str) -> Response:
        return Response(s.ProjectDetailSerializer(project_page_for_public(code)).data)


@extend_schema(tags=["public"], parameters=[NoticeQuery], responses={200: s.NoticeSerializer(many=True), **BAD_QUERY})
class NoticeList(PublicView, generics.ListAPIView):
    """公告公示: the live notices (or the archive), newest first, by kind, date and the agency's USCC."""

    serializer_class = s.NoticeSerializer
    query_class = NoticeQuery
    cursor_ordering = ("-first_published_at", "-id")

    def get_queryset(self):
        return notice_list_for_public(self.query(self.request))


@extend_schema(tags=["public"], responses={200: s.NoticeDetailSerializer, **NOT_FOUND})
class NoticeDetail(PublicView, APIView):
    """One live notice with its text (withdrawn and archived notices stay readable, marked so)."""

    def get(self, request: Request, pk: str) -> Response:
        # Any text reaches the view (a path the URL conf refused would be Django's HTML 404, not a problem).
        notice = (
            NoticePage.objects.live().filter(pk=int(pk)).first()
            if pk.isascii() and pk.isdigit() and len(pk) < 19
            else None
        )
        if notice is None:
            raise Http404(_("没有这则公告。"))
        return Response(s.NoticeDetailSerializer(notice).data)


@extend_schema(tags=["public"], parameters=[AgencyQuery], responses={200: s.AgencySerializer(many=True), **BAD_QUERY})
class AgencyList(PublicView, generics.ListAPIView):
    """中介机构名录: identity-verified agencies with grade, score and measures in force."""

    serializer_class = s.AgencySerializer
    query_class = AgencyQuery
    cursor_ordering = ("name", "pk")

    def get_queryset(self):
        return agency_list_for_directory(self.query(self.request))


@extend_schema(tags=["public"], responses={200: s.AgencySerializer, **NOT_FOUND})
class AgencyDetail(PublicView, APIView):
    """One directory row by USCC (only an identity-verified agency, as the directory)."""

    def get(self, request: Request, uscc: str) -> Response:
        agency = agency_list_for_directory().filter(uscc=uscc.strip().upper()).first()
        if agency is None:
            raise Http404(_("名录中没有这个机构。"))
        return Response(s.AgencySerializer(agency).data)


@extend_schema(tags=["public"], responses={200: s.BlacklistSerializer(many=True), **NOT_FOUND})
class BlackList(PublicView, generics.ListAPIView):
    """黑名单: expelled agencies with their expulsions in force (rule code, reason, until)."""

    serializer_class = s.BlacklistSerializer
    cursor_ordering = ("name", "pk")

    def get_queryset(self):
        return subject_list_for_blacklist()


@extend_schema(tags=["public"], responses={200: s.RedlistSerializer(many=True), **NOT_FOUND})
class RedList(PublicView, generics.ListAPIView):
    """红名单: agencies with a reward (the green channel) in force."""

    serializer_class = s.RedlistSerializer
    cursor_ordering = ("-score", "pk")

    def get_queryset(self):
        return subject_list_for_redlist()


def _draws():
    return (
        Project.objects.filter(state__in=PUBLIC_STATES, draw_proof__isnull=False)
        .select_related("buyer")
        .only("code", "name", "method", "draw_commitment", "draw_beacon", "draw_proof", "buyer__name", "buyer__uscc")
    )


@extend_schema(tags=["public"], responses={200: s.DrawSerializer(many=True), **NOT_FOUND})
class DrawList(PublicView, generics.ListAPIView):
    """Draw proofs of published projects (docs/draw.md): anyone may recompute each ranking."""

    serializer_class = s.DrawSerializer
    cursor_ordering = ("-pk",)

    def get_queryset(self):
        return _draws()


@extend_schema(tags=["public"], responses={200: s.DrawSerializer, **NOT_FOUND})
class DrawDetail(PublicView, APIView):
    """One project's draw proof."""

    def get(self, request: Request, code: str) -> Response:
        project = _draws().filter(code=code).first()
        if project is None:
            raise Http404(_("该项目尚未抽取。"))
        return Response(s.DrawSerializer(project).data)


@extend_schema(tags=["public"], responses={200: s.StatisticsSerializer})
class Statistics(PublicView, APIView):
    """统计分析: the statistics page's numbers, twelve months back."""

    def get(self, request: Request) -> Response:
        stats = statistics_for_public_cached(timezone.now())
        months = []
        for month in stats.months:
            award = stats.awards.get(month)
            months.append(
                {
                    "month": month,
                    "measures": {kind: stats.measure_count(month, kind) for kind in MEASURE_KINDS},
                    "awarded_projects": award.projects if award else 0,
                    "budget": award.budget if award else 0,
                    "amount": award.amount if award else 0,
                }
            )
        data = {
            "as_of": stats.now,
            "grades": stats.grade_counts(),
            "rewarded_now": stats.rewarded_now,
            "projects_by_method": stats.by_method(),
            "projects_by_state": stats.by_state(),
            "saving_rate": stats.saving_rate,
            "months": months,
        }
        return Response(s.StatisticsSerializer(data).data)


def api_not_found(request, rest: str = ""):
    """Any other path under /api/: a 404 in problem details, not the site's HTML page."""
    body = {"type": "about:blank", "title": _("未找到"), "status": 404, "detail": _("没有这个接口地址。")}
    return JsonResponse(
        body, status=404, content_type="application/problem+json", json_dumps_params={"ensure_ascii": False}
    )
