"""The kinds the credit records are made of: grades, the measures of the ladder, the classes of
untrustworthy information, where an entry came from."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Grade(models.TextChoices):
    """Credit grade from the score, by the policy's bands."""

    A = "A", _("A 级（优秀）")
    B = "B", _("B 级（良好）")
    C = "C", _("C 级（一般）")
    D = "D", _("D 级（较差）")


class MeasureKind(models.TextChoices):
    """The ladder 奖 · 限 · 停 · 退, plus revocation of a won selection."""

    REWARD = "reward", _("激励（绿色通道）")
    RESTRICT = "restrict", _("限制")
    SUSPEND = "suspend", _("暂停")
    EXPEL = "expel", _("清退（黑名单）")
    REVOKE = "revoke", _("撤销中选资格")


class Severity(models.TextChoices):
    """轻微 / 一般 / 严重 of 《信用修复管理办法》, or informational; stored "minor" is 一般, retired "grave" reads 严重."""

    INFO = "info", _("非失信信息")
    SLIGHT = "slight", _("轻微")
    GENERAL = "minor", _("一般")
    SERIOUS = "serious", _("严重")
    GRAVE = "grave", _("严重")


CATALOGUE_CLASSES = [(value, label) for value, label in Severity.choices if value != Severity.GRAVE]


class Source(models.TextChoices):
    """Where a credit entry came from."""

    RATING = "rating", _("服务评价")
    RULE = "rule", _("规则自动")
    SUPERVISOR = "supervisor", _("监管部门")
    EXTERNAL = "external", _("外部名单")
    HONOUR = "honour", _("表彰荣誉")
