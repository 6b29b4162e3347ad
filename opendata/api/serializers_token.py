"""What the authenticated endpoints show: the organisation's own work, organisations named, never a person."""

from __future__ import annotations

from rest_framework import serializers

from .serializers_public import OrgSerializer


class OpenProjectSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    method = serializers.CharField()
    buyer = OrgSerializer()
    budget = serializers.DecimalField(max_digits=14, decimal_places=2)
    quote_kind = serializers.CharField()
    quote_floor = serializers.DecimalField(max_digits=14, decimal_places=2)
    quote_ceiling = serializers.DecimalField(max_digits=14, decimal_places=2)
    signup_deadline = serializers.DateTimeField()
    requirements = serializers.CharField(source="requirement_summary")


class SignupSerializer(serializers.Serializer):
    project = serializers.CharField(source="project.code")
    state = serializers.CharField()
    submitted_at = serializers.DateTimeField()


class MeasureInForceSerializer(serializers.Serializer):
    kind = serializers.CharField()
    rule_code = serializers.CharField()
    title = serializers.CharField()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField(allow_null=True)


class CreditSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    score = serializers.IntegerField()
    grade = serializers.CharField()
    warning_count = serializers.IntegerField()
    measures = MeasureInForceSerializer(many=True)


class BuyerProjectSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    method = serializers.CharField()
    state = serializers.CharField()
    signup_deadline = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    signup_count = serializers.IntegerField(help_text="报名截止并开启后才计数；此前为 0")


class BuyerSignupSerializer(serializers.Serializer):
    agency = OrgSerializer()
    state = serializers.CharField(source="signup.state")
    rank = serializers.IntegerField(source="signup.rank", allow_null=True)
    quote = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)


class QueueItemSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    state = serializers.CharField()
    agency = OrgSerializer()


class QueueSerializer(serializers.Serializer):
    applications = QueueItemSerializer(many=True)
    cases = QueueItemSerializer(many=True)
    objections = QueueItemSerializer(many=True)
    repairs = QueueItemSerializer(many=True)
    renewals = QueueItemSerializer(many=True)
