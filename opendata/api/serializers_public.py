"""What the public endpoints show: the fields the public pages show, organisations only (docs/api.md).

Every serializer here is written out field by field — never a ModelSerializer's ``__all__`` — so a new column on a
model (a contact person, a phone) never reaches the API by itself. The querysets come from the public pages' own
selectors, which do not even load natural persons' fields.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from credit_rules.selectors import rule_title
from credit_rules.standing import MEASURE_FLAGS


class OrgSerializer(serializers.Serializer):
    """An organisation: its name and USCC (统一社会信用代码)."""

    uscc = serializers.CharField()
    name = serializers.CharField()


class ProjectSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    state = serializers.CharField()
    state_label = serializers.CharField(source="get_state_display")
    method = serializers.CharField()
    method_label = serializers.CharField(source="get_method_display")
    budget = serializers.DecimalField(max_digits=14, decimal_places=2)
    quote_kind = serializers.CharField()
    signup_deadline = serializers.DateTimeField(allow_null=True)
    published_at = serializers.DateTimeField(allow_null=True)
    buyer = OrgSerializer()
    category = serializers.CharField(source="category.label")
    winner = serializers.SerializerMethodField()

    @extend_schema_field(OrgSerializer(allow_null=True))
    def get_winner(self, project) -> dict | None:
        name = getattr(project, "winner_name", None)
        return {"uscc": project.winner_uscc, "name": name} if name else None


class RankSerializer(serializers.Serializer):
    rank = serializers.IntegerField()
    uscc = serializers.CharField()
    name = serializers.CharField()
    score = serializers.DecimalField(max_digits=10, decimal_places=2, allow_null=True)
    quote = serializers.DecimalField(
        max_digits=14, decimal_places=2, allow_null=True, help_text="报价：报名截止并开启后才公开，此前恒为 null"
    )
    state = serializers.CharField()
    state_label = serializers.CharField()


class ContractSerializer(serializers.Serializer):
    agency = OrgSerializer()
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    contracted_at = serializers.DateTimeField(allow_null=True)
    service_end = serializers.DateTimeField(allow_null=True)


class ProjectDetailSerializer(serializers.Serializer):
    """A project's public page: its announcement, and after the close the ranking and the winner."""

    project = ProjectSerializer()
    content = serializers.CharField(source="project.content")
    scale = serializers.CharField(source="project.scale")
    requirements = serializers.CharField(source="requirement_text")
    closed = serializers.BooleanField()
    eligible_count = serializers.IntegerField(allow_null=True)
    ranking = RankSerializer(many=True)
    winner = RankSerializer(allow_null=True)
    contract = ContractSerializer(allow_null=True)
    draw_commitment = serializers.SerializerMethodField()
    cancel_reason = serializers.SerializerMethodField()

    def get_draw_commitment(self, page) -> str:
        return page.project.draw_commitment if page.shows_commitment else ""

    def get_cancel_reason(self, page) -> str:
        return page.project.cancel_reason if page.shows_reason else ""


class NoticeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    kind = serializers.CharField()
    subject_name = serializers.CharField()
    subject_uscc = serializers.CharField()
    project_code = serializers.CharField()
    first_published_at = serializers.DateTimeField(allow_null=True)
    withdrawn = serializers.BooleanField()
    withdrawn_reason = serializers.CharField()
    public_until = serializers.DateField(allow_null=True)


class NoticeDetailSerializer(NoticeSerializer):
    body_text = serializers.CharField(help_text="公告正文（纯文本）")


class AgencySerializer(serializers.Serializer):
    """A directory row: identity, region, grade and score, the measures in force, the service categories."""

    uscc = serializers.CharField()
    name = serializers.CharField()
    region = serializers.CharField(source="region.label")
    grade = serializers.CharField(source="credit_grade")
    score = serializers.IntegerField(source="credit_score")
    measures = serializers.SerializerMethodField(help_text="在施措施: reward, restrict, suspend, expel")
    categories = serializers.SerializerMethodField()

    def get_measures(self, agency) -> list[str]:
        return [kind.value for kind in MEASURE_FLAGS if getattr(agency, f"credit_{kind.value}", False)]

    def get_categories(self, agency) -> list[str]:
        return [category.code for category in agency.categories.all()]


class MeasureSerializer(serializers.Serializer):
    rule_code = serializers.CharField()
    reason = serializers.SerializerMethodField()
    effective_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField(allow_null=True, help_text="null：至解除之日")

    def get_reason(self, measure) -> str:
        return str(rule_title(measure.rule_code) or measure.title)


class BlacklistSerializer(serializers.Serializer):
    uscc = serializers.CharField()
    name = serializers.CharField()
    region = serializers.SerializerMethodField()
    expulsions = MeasureSerializer(many=True)

    def get_region(self, subject) -> str:
        agency = getattr(subject, "agency", None)
        return agency.region.label if agency else ""


class RedlistSerializer(BlacklistSerializer):
    expulsions = None  # type: ignore[assignment]
    grade = serializers.CharField()
    score = serializers.IntegerField()
    rewards = MeasureSerializer(many=True)


class DrawSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    method = serializers.CharField()
    buyer = OrgSerializer()
    draw_commitment = serializers.CharField()
    draw_beacon = serializers.CharField()
    proof = serializers.JSONField(source="draw_proof", help_text="抽取证明（docs/draw.md），可独立复算")


class CountSerializer(serializers.Serializer):
    key = serializers.CharField()
    count = serializers.IntegerField()


class MonthSerializer(serializers.Serializer):
    month = serializers.DateField()
    measures = serializers.DictField(child=serializers.IntegerField())
    awarded_projects = serializers.IntegerField()
    budget = serializers.DecimalField(max_digits=18, decimal_places=2)
    amount = serializers.DecimalField(max_digits=18, decimal_places=2)


class StatisticsSerializer(serializers.Serializer):
    as_of = serializers.DateTimeField()
    grades = serializers.DictField(child=serializers.IntegerField())
    rewarded_now = serializers.IntegerField()
    projects_by_method = serializers.DictField(child=serializers.IntegerField())
    projects_by_state = serializers.DictField(child=serializers.IntegerField())
    saving_rate = serializers.FloatField(allow_null=True)
    months = MonthSerializer(many=True)
