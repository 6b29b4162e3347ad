"""The authenticated endpoints: an agency's open projects, its sign-up (the page's own service and gate) and its
credit; a buyer's projects and, after the close only, their sign-ups; a supervisor's queue.

Each reads through the selector its page uses and writes through the page's service, as the token's maker (the
organisation's administrator), so the API can do nothing the pages would not let that account do.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from credit_rules.services import subject_for_agency
from credit_rules.standing import standing_compute
from workflows.models import Project
from workflows.selectors.agency_projects import project_list_for_agency_projects
from workflows.selectors.buyer import project_for_buyer, project_list_for_buyer_projects, project_page_for_buyer
from workflows.selectors.supervisor import supervisor_queue
from workflows.services.procurement.signups import signup_submit

from ..models import ApiToken
from . import serializers_token as st
from .auth import AgencyToken, BuyerToken, SupervisorToken, TokenView
from .pagination import ApiCursor
from .problems import CREDIT_REFUSED, problem, problem_responses, refusal_rows

PROBLEMS = problem_responses(401, 403, 404, 429)


@extend_schema(tags=["agency"], responses={200: st.OpenProjectSerializer(many=True), **PROBLEMS})
class AgencyProjects(TokenView):
    """The agency's open projects before their deadline that it may sign up for (as /agency/projects/)."""

    permission_classes = [AgencyToken]

    def get(self, request: Request) -> Response:
        listing = project_list_for_agency_projects(request.auth.agency, page_number=request.query_params.get("page"))
        rows = st.OpenProjectSerializer(listing.rows, many=True).data
        return Response({"results": rows, "page": listing.page.number, "pages": listing.page.paginator.num_pages})


class SignupInput(serializers.Serializer):
    quote = serializers.CharField(max_length=40, help_text="报价（元或下浮率 %），在项目的报价区间内，至分")


@extend_schema(
    tags=["agency"],
    request=SignupInput,
    responses={
        201: st.SignupSerializer,
        **problem_responses(400, 409, 422),
        **PROBLEMS,
    },
)
class AgencySignup(TokenView):
    """Sign up with a sealed quote, through the sign-up page's service and its credit gate.

    A refusal by the gate is a 422 problem (type …/credit-refused) listing each rule's code, message and basis."""

    permission_classes = [AgencyToken]
    required_scope = ApiToken.Scope.SIGNUP

    def post(self, request: Request, code: str) -> Response:
        data = SignupInput(data=request.data)
        data.is_valid(raise_exception=True)
        project = Project.objects.filter(code=code, state=Project.State.OPEN).first()
        if project is None:
            return problem(404, _("未找到"), _("没有这个正在报名的项目。"))
        outcome = signup_submit(
            project=project,
            agency=request.auth.agency,
            actor=request.auth.created_by,
            quote=data.validated_data["quote"],
        )
        if not outcome.ok:
            return problem(
                422,
                _("信用审查未通过"),
                _("信用审查未通过，不能报名。"),
                type_=CREDIT_REFUSED,
                refusals=refusal_rows(outcome.refusals),
            )
        return Response(st.SignupSerializer(outcome.signup).data, status=201)


@extend_schema(tags=["agency"], responses={200: st.CreditSerializer, **PROBLEMS})
class AgencyCredit(TokenView):
    """The agency's own credit standing from the ledger: score, grade, warnings, measures in force."""

    permission_classes = [AgencyToken]

    def get(self, request: Request) -> Response:
        standing = standing_compute(subject_for_agency(request.auth.agency), timezone.now())
        return Response(st.CreditSerializer(standing).data)


@extend_schema(tags=["buyer"], responses={200: st.BuyerProjectSerializer(many=True), **PROBLEMS})
class BuyerProjects(TokenView):
    """The buyer unit's projects, newest first (sign-ups counted only once the close admitted or rejected them)."""

    permission_classes = [BuyerToken]
    pagination_class = ApiCursor
    cursor_ordering = ("-created_at", "-pk")

    def get(self, request: Request) -> Response:
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(project_list_for_buyer_projects(request.auth.buyer), request, view=self)
        return paginator.get_paginated_response(st.BuyerProjectSerializer(page, many=True).data)


@extend_schema(
    tags=["buyer"], responses={200: st.BuyerSignupSerializer(many=True), **PROBLEMS, **problem_responses(409)}
)
class BuyerSignups(TokenView):
    """A project's sign-ups with their quotes — only after the close: before it they are sealed (409)."""

    permission_classes = [BuyerToken]

    def get(self, request: Request, code: str) -> Response:
        unit = request.auth.buyer
        project_for_buyer(unit, code)  # 404 for another unit's project
        page = project_page_for_buyer(unit, request.auth.created_by, code)
        if page.sealed:
            return problem(409, _("报名信息密封中"), _("报名截止前，报名信息（谁报名、报价）一律密封。"))
        return Response({"results": st.BuyerSignupSerializer(page.rows, many=True).data})


@extend_schema(tags=["supervisor"], responses={200: st.QueueSerializer, **PROBLEMS})
class SupervisorQueueView(TokenView):
    """What waits for the supervisor in its scope: applications, credit cases, objections, repairs, renewals."""

    permission_classes = [SupervisorToken]

    def get(self, request: Request) -> Response:
        return Response(st.QueueSerializer(supervisor_queue(request.auth.supervisor)).data)
