"""The query parameters of the public lists, checked as the pages' filter forms check theirs.

A page shows a bad filter next to its field and ignores it; the API refuses the request (400, problem details,
each field's message), so a client never reads an unfiltered list it believes filtered.
"""

from __future__ import annotations

import datetime

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from cms.models import NoticeRequest
from cms.selectors import NoticeFilters
from credit_rules.models import Grade
from credit_rules.selectors import MEASURE_BADGES, DirectoryFilters
from marketplace.models import BuyerUnit, ServiceCategory
from marketplace.validators import normalise_uscc, uscc_problem
from workflows.models import Project
from workflows.selectors.public import PUBLIC_STATES, ProjectFilters

FIRST_DAY, LAST_DAY = datetime.date(2000, 1, 1), datetime.date(2099, 12, 31)


def _day_check(value: datetime.date | None) -> datetime.date | None:
    if value is not None and not FIRST_DAY <= value <= LAST_DAY:
        raise serializers.ValidationError(_("日期须在 2000 年至 2099 年之间。"))
    return value


class _Query(serializers.Serializer):
    def _category(self, code: str) -> ServiceCategory | None:
        if not code:
            return None
        found = ServiceCategory.objects.filter(code=code).first()
        if found is None:
            raise serializers.ValidationError({"category": [_("没有这个服务事项。")]})
        return found


class ProjectQuery(_Query):
    q = serializers.CharField(required=False, allow_blank=True, max_length=100, help_text="项目名称、编号或项目业主")
    category = serializers.CharField(required=False, allow_blank=True, max_length=40, help_text="服务事项代码")
    method = serializers.ChoiceField(choices=Project.Method.choices, required=False)
    state = serializers.ChoiceField(choices=[(s, Project.State(s).label) for s in PUBLIC_STATES], required=False)
    buyer = serializers.CharField(required=False, allow_blank=True, max_length=18, help_text="项目业主统一社会信用代码")
    published_from = serializers.DateField(required=False, validators=[_day_check])
    published_to = serializers.DateField(required=False, validators=[_day_check])

    def validate(self, data):
        start, end = data.get("published_from"), data.get("published_to")
        if start and end and start > end:
            raise serializers.ValidationError({"published_to": [_("结束日期不能早于开始日期。")]})
        return data

    def filters(self) -> ProjectFilters:
        data = self.validated_data
        buyer = None
        if data.get("buyer"):
            buyer = BuyerUnit.objects.filter(uscc=normalise_uscc(data["buyer"])).only("pk").first()
            if buyer is None:
                raise serializers.ValidationError({"buyer": [_("没有这个项目业主。")]})
        return ProjectFilters(
            q=data.get("q") or "",
            category=self._category(data.get("category") or ""),
            method=data.get("method") or "",
            state=data.get("state") or "",
            buyer=buyer,
            published_from=data.get("published_from"),
            published_to=data.get("published_to"),
        )


class AgencyQuery(_Query):
    q = serializers.CharField(required=False, allow_blank=True, max_length=100, help_text="名称或统一社会信用代码")
    category = serializers.CharField(required=False, allow_blank=True, max_length=40, help_text="服务事项代码")
    grade = serializers.ChoiceField(choices=Grade.choices, required=False)
    measure = serializers.ChoiceField(choices=[(k, str(v)) for k, v in MEASURE_BADGES.items()], required=False)

    def filters(self) -> DirectoryFilters:
        data = self.validated_data
        return DirectoryFilters(
            q=data.get("q") or "",
            category=self._category(data.get("category") or ""),
            grade=data.get("grade") or "",
            measure=data.get("measure") or "",
        )


class NoticeQuery(_Query):
    kind = serializers.ChoiceField(choices=NoticeRequest.Kind.choices, required=False)
    date_from = serializers.DateField(required=False, validators=[_day_check])
    date_to = serializers.DateField(required=False, validators=[_day_check])
    uscc = serializers.CharField(required=False, allow_blank=True, max_length=40, help_text="机构统一社会信用代码")
    archive = serializers.BooleanField(required=False, default=False, help_text="已撤销或已过公示期的公告")

    def validate_uscc(self, value: str) -> str:
        value = normalise_uscc(value or "")
        problem = uscc_problem(value) if value else ""
        if problem:
            raise serializers.ValidationError(problem)
        return value

    def validate(self, data):
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            raise serializers.ValidationError({"date_to": [_("结束日期不能早于开始日期。")]})
        return data

    def filters(self) -> NoticeFilters:
        data = self.validated_data
        return NoticeFilters(
            kind=data.get("kind") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            uscc=data.get("uscc") or "",
            archive=bool(data.get("archive")),
        )
