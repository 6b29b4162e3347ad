"""Credit: subjects, the append-only hash-chained ledger, the versioned policy, decisions, external lists.

The ledger is the single source of truth. Standing (score, grade, active measures) is derived from
it for any date; ``CreditSubject`` keeps a denormalised copy for list pages that is provably equal
to the recomputation. A correction is a new entry, never an edit.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from marketplace.models import Agency, BuyerUnit

from .indexes import LEDGER_INDEXES, LIST_INDEXES
from .kinds import CATALOGUE_CLASSES, Grade, MeasureKind, Severity, Source
from .letters import CommitmentLetterQuerySet, ImmutableOnceInForce
from .local_basis import LocalBasis as LocalBasis  # a model of this app, in its own module

GENESIS_HASH = "0" * 64

__all__ = ["CATALOGUE_CLASSES", "Grade", "MeasureKind", "Severity", "Source"]


class CreditSubject(models.Model):
    """Whose credit is recorded: an agency, or a buyer unit for government integrity (政务诚信).

    Also the lock row for appends to its ledger chain, and the cached standing for list pages.
    """

    class Kind(models.TextChoices):
        AGENCY = "agency", _("中介机构")
        BUYER = "buyer", _("项目业主")

    kind = models.CharField(max_length=10, choices=Kind.choices)
    agency = models.OneToOneField(Agency, null=True, blank=True, on_delete=models.PROTECT, related_name="credit")
    buyer_unit = models.OneToOneField(BuyerUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="credit")
    uscc = models.CharField(_("统一社会信用代码"), max_length=18, unique=True)
    name = models.CharField(_("名称"), max_length=200)
    # Ledger chain head: appends lock this row, so the chain has no forks.
    head_seq = models.PositiveIntegerField(default=0)
    head_hash = models.CharField(max_length=64, default=GENESIS_HASH)
    # Cached standing, derived from the ledger (see credit_rules.standing).
    score = models.IntegerField(_("信用分"), default=100)
    grade = models.CharField(_("信用等级"), max_length=1, choices=Grade.choices, default=Grade.A)
    is_rewarded = models.BooleanField(_("绿色通道"), default=False)
    is_restricted = models.BooleanField(_("限制中"), default=False)
    is_suspended = models.BooleanField(_("暂停中"), default=False)
    is_expelled = models.BooleanField(_("清退（黑名单）"), default=False)
    warning_count = models.PositiveSmallIntegerField(_("有效警告数"), default=0)
    standing_at = models.DateTimeField(null=True, blank=True)
    # When the cached standing next changes by the passage of time (an entry expires, a measure ends).
    standing_valid_until = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("信用主体")
        verbose_name_plural = _("信用主体")
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(kind="agency", agency__isnull=False, buyer_unit__isnull=True))
                | models.Q(kind="buyer", agency__isnull=True, buyer_unit__isnull=False),
                name="credit_subject_one_owner",
            )
        ]
        indexes = [models.Index(fields=["kind", "grade"]), models.Index(fields=["kind", "is_expelled"]), *LIST_INDEXES]

    def __str__(self) -> str:
        return f"{self.name} ({self.uscc})"


class PolicyVersion(models.Model):
    """One effective-dated version of the credit policy; once published it is never edited.

    Supervisors draft a new version in the back office and publish it with a future effective
    date. Every decision records the version it applied, so a change never rewrites the past.
    """

    version = models.PositiveIntegerField(_("版本号"), unique=True)
    effective_from = models.DateTimeField(_("生效时间"))
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    note = models.CharField(_("修订说明"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    base_score = models.IntegerField(_("基础分"), default=100)
    grade_a_min = models.IntegerField(_("A 级下限"), default=90)
    grade_b_min = models.IntegerField(_("B 级下限"), default=75)
    grade_c_min = models.IntegerField(_("C 级下限"), default=60)
    event_window_months = models.PositiveSmallIntegerField(_("记录有效期（月）"), default=24)
    entry_lookback_months = models.PositiveSmallIntegerField(_("入驻审查严重失信回溯期（月）"), default=36)
    warnings_to_suspend = models.PositiveSmallIntegerField(_("触发暂停的警告次数"), default=2)
    warnings_window_months = models.PositiveSmallIntegerField(_("警告累计期（月）"), default=12)
    suspend_months_first = models.PositiveSmallIntegerField(_("首次暂停期限（月）"), default=1)
    suspend_months_repeat = models.PositiveSmallIntegerField(_("暂停期间再次暂停期限（月）"), default=3)
    complaints_to_expel = models.PositiveSmallIntegerField(_("触发清退的质量投诉次数"), default=3)
    complaints_window_months = models.PositiveSmallIntegerField(_("投诉累计期（月）"), default=12)
    reentry_bar_months = models.PositiveSmallIntegerField(_("清退后禁入期（月）"), default=36)
    restrict_on_grade_d = models.BooleanField(_("D 级自动限制"), default=True)
    case_response_days = models.PositiveSmallIntegerField(_("告知后陈述申辩期（日）"), default=7)
    objection_window_days = models.PositiveSmallIntegerField(_("异议申请期（日）"), default=30)
    objection_decide_working_days = models.PositiveSmallIntegerField(_("异议办结期限（工作日）"), default=10)
    # An erroneous warning (the wrong agency, a mistaken fact) is withdrawn by the supervisor who issued it.
    warning_withdraw_working_days = models.PositiveSmallIntegerField(
        _("错误警告撤回期限（工作日）"),
        default=5,
        help_text=_("发布信用警告的监管人员可在此期限内以书面理由撤回有误的警告。"),
    )
    green_channel_months = models.PositiveSmallIntegerField(_("绿色通道所需连续 A 级（月）"), default=12)
    reward_months = models.PositiveSmallIntegerField(_("守信激励（绿色通道）期限（月）"), default=12)
    # {rule code: reason}: automatic measures that take effect at once; any other gives prior notice (失信告知).
    immediate_measures = models.JSONField(
        _("不经事先告知即生效的自动措施"), default=dict, blank=True, help_text=_("规则代码 → 理由")
    )
    moderate_measure_notices = models.BooleanField(_("措施公告须审核后发布"), default=True)
    rating_excellent_min = models.DecimalField(_("评价优秀的平均分下限"), max_digits=3, decimal_places=2, default=4.5)
    rating_poor_max = models.DecimalField(_("评价差的平均分上限"), max_digits=3, decimal_places=2, default=2.5)
    # A measure arriving mid-service (清退, or a suspension where the policy stops service).
    measure_decision_days = models.PositiveSmallIntegerField(_("措施后业主决定是否继续服务的期限（日）"), default=10)
    measure_decision_default = models.CharField(
        _("业主逾期未决定时"),
        max_length=10,
        choices=[("terminate", _("中止服务")), ("continue", _("继续服务"))],
        default="terminate",
    )
    suspension_halts_service = models.BooleanField(_("暂停期间中止在办服务"), default=False)
    # Severities of a new event that revoke the agency's open wins (撤销中选资格) until acceptance.
    revoke_wins_on = models.JSONField(_("撤销中选资格的失信记录严重程度"), default=list, blank=True)
    # Government integrity (政务诚信): the buyer's periods, and how many failures within a window warrant a warning.
    buyer_acceptance_days = models.PositiveSmallIntegerField(_("项目业主验收期限（日）"), default=15)
    buyer_contract_grace_days = models.PositiveSmallIntegerField(_("项目业主逾期未签约的延长期（日）"), default=5)
    buyer_failures_to_warn = models.PositiveSmallIntegerField(
        _("触发政务诚信警告的失信次数"), default=3, help_text=_("0 表示不警告")
    )
    buyer_failures_window_months = models.PositiveSmallIntegerField(_("政务失信累计期（月）"), default=12)
    term_notice_days = models.PositiveSmallIntegerField(_("入驻有效期届满前提醒（日）"), default=60)
    zombie_months = models.PositiveSmallIntegerField(_("长期无业务的认定期（月）"), default=12, help_text=_("0 表示不认定"))  # fmt: skip
    zombie_prompt_days = models.PositiveSmallIntegerField(_("长期无业务提示后的退出期限（日）"), default=30)
    # Challenges (质疑) to a selection result and complaints (投诉) escalated to the supervisor.
    challenge_answer_working_days = models.PositiveSmallIntegerField(_("项目业主答复质疑期限（工作日）"), default=7)
    challenge_holds_award = models.BooleanField(_("质疑处理期间暂缓确认中选结果"), default=True)
    complaint_window_working_days = models.PositiveSmallIntegerField(_("答复后提起投诉期限（工作日）"), default=15)
    complaint_decide_working_days = models.PositiveSmallIntegerField(_("投诉处理期限（工作日）"), default=30)
    is_demonstration = models.BooleanField(_("示范政策"), default=False, help_text=_("部署时按本地办法配置"))
    # Publication and repair periods of each class (defaults: 《信用修复管理办法》); 轻微 is repairable once fulfilled.
    slight_published = models.BooleanField(_("轻微失信信息予以公示"), default=False)
    slight_publish_max_months = models.PositiveSmallIntegerField(_("轻微：最长公示期（月）"), default=3)
    slight_repair_months = models.PositiveSmallIntegerField(_("轻微：可申请修复的最短期限（月）"), default=0)
    general_publish_min_months = models.PositiveSmallIntegerField(_("一般：最短公示期（月）"), default=3)
    general_publish_max_months = models.PositiveSmallIntegerField(_("一般：最长公示期（月）"), default=12)
    general_repair_months = models.PositiveSmallIntegerField(_("一般：可申请修复的最短期限（月）"), default=3)
    serious_publish_min_months = models.PositiveSmallIntegerField(_("严重：最短公示期（月）"), default=12)
    serious_publish_max_months = models.PositiveSmallIntegerField(_("严重：最长公示期（月）"), default=36)
    serious_repair_months = models.PositiveSmallIntegerField(_("严重：可申请修复的最短期限（月）"), default=12)

    class Meta:
        ordering = ["-effective_from"]
        verbose_name = _("信用政策版本")
        verbose_name_plural = _("信用政策版本")

    def __str__(self) -> str:
        return f"v{self.version} ({self.effective_from:%Y-%m-%d})"

    @property
    def is_published(self) -> bool:
        return self.published_at is not None

    def grade_for(self, score: int) -> str:
        """Map a score to a grade by this version's bands."""
        if score >= self.grade_a_min:
            return Grade.A
        if score >= self.grade_b_min:
            return Grade.B
        if score >= self.grade_c_min:
            return Grade.C
        return Grade.D

    def clean(self):
        # The national bounds (《信用修复管理办法》): 轻微 at most 3 months, 一般 3–12, 严重 12–36; repair after the minimum.
        for cls, name, low, high in ((Severity.SLIGHT, "slight", 0, 3), (Severity.GENERAL, "general", 3, 12), (Severity.SERIOUS, "serious", 12, 36)):  # fmt: skip
            least, most = getattr(self, f"{name}_publish_min_months", 0), getattr(self, f"{name}_publish_max_months")
            if not low <= least <= most <= high or getattr(self, f"{name}_repair_months") < least:
                msg = _("%(cls)s：公示期须在 %(low)s–%(high)s 个月之间，且修复期限不短于最短公示期。")
                raise ValidationError(msg % {"cls": cls.label, "low": low, "high": high})

    def save(self, *args, **kwargs):
        if self.pk and PolicyVersion.objects.filter(pk=self.pk, published_at__isnull=False).exists():
            raise ValidationError(_("已发布的政策版本不可修改，请新建版本。"))
        super().save(*args, **kwargs)


class CatalogueEntry(models.Model):
    """A kind of credit event in a policy version: its points, class (its periods are the policy's) and basis."""

    policy = models.ForeignKey(PolicyVersion, on_delete=models.CASCADE, related_name="catalogue")
    code = models.CharField(_("事项代码"), max_length=40)
    name = models.CharField(_("名称"), max_length=100)
    name_en = models.CharField(_("英文名称"), max_length=150, blank=True)
    points = models.IntegerField(_("分值"))
    severity = models.CharField(_("类别"), max_length=10, choices=CATALOGUE_CLASSES, default=Severity.GENERAL)
    is_warning = models.BooleanField(_("计为信用警告"), default=False)
    is_quality_complaint = models.BooleanField(_("计为质量投诉"), default=False)
    expels = models.BooleanField(_("直接清退"), default=False)
    rewards = models.BooleanField(_("计为守信激励事由"), default=False)
    repairable = models.BooleanField(_("可修复"), default=True, help_text=_("修复期限按类别；不勾选表示不可修复"))
    public = models.BooleanField(_("公开"), default=True)
    basis = models.TextField(_("依据"), blank=True)

    class Meta:
        ordering = ["policy", "code"]
        constraints = [models.UniqueConstraint(fields=["policy", "code"], name="uniq_catalogue_code")]
        verbose_name = _("信用事项")
        verbose_name_plural = _("信用事项目录")

    def __str__(self) -> str:
        return f"{self.code} {self.label} ({self.points:+d})"

    @property
    def label(self) -> str:
        if (get_language() or "").startswith("en") and self.name_en:
            return self.name_en
        return self.name

    def save(self, *args, **kwargs):
        if self.policy.is_published:
            raise ValidationError(_("已发布的政策版本不可修改，请新建版本。"))
        super().save(*args, **kwargs)


class CommitmentLetter(ImmutableOnceInForce, models.Model):
    """A version of the credit commitment letter (信用承诺书) agencies accept on entry.

    Immutable once in force, or once any row (a membership) refers to it (``letters.py``): a change
    of wording is a new version with a later effective date, added by the platform credit office.
    """

    version = models.PositiveIntegerField(_("版本号"), unique=True)
    title = models.CharField(_("标题"), max_length=100, default="中介机构信用承诺书")
    body = models.TextField(_("正文"))
    effective_from = models.DateTimeField(_("生效时间"))

    objects = CommitmentLetterQuerySet.as_manager()

    class Meta:
        ordering = ["-effective_from"]
        verbose_name = _("信用承诺书")
        verbose_name_plural = _("信用承诺书")

    def __str__(self) -> str:
        return f"{self.title} v{self.version}"

    @property
    def digest(self) -> str:
        """SHA-256 of the text, recorded with every acceptance so the wording signed is provable."""
        return hashlib.sha256(self.body.encode("utf-8")).hexdigest()


class LedgerQuerySet(models.QuerySet):
    """Ledger rows are append-only: bulk updates and deletes are refused."""

    def update(self, **kwargs):
        raise PermissionError("The credit ledger is append-only: write a correcting entry instead.")

    def delete(self):
        raise PermissionError("The credit ledger is append-only: entries are never deleted.")


class LedgerEntry(models.Model):
    """One append-only, hash-chained entry in a subject's credit ledger.

    Kinds: an *event* (catalogue code, points); a *measure* (reward, restrict, suspend, expel,
    revoke) with its period; a *neutralisation* that stops an earlier entry counting (overturned,
    repaired, lifted) and carries the negated points with the same expiry, so a plain sum over
    the entries in force is the score; and *dispute* marks opened and closed by objections.
    """

    class Kind(models.TextChoices):
        EVENT = "event", _("信用事件")
        MEASURE = "measure", _("信用措施")
        NEUTRALISE = "neutralise", _("更正")
        DISPUTE = "dispute", _("异议")

    class Reason(models.TextChoices):
        OVERTURNED = "overturned", _("异议成立，撤销")
        REPAIRED = "repaired", _("信用修复")
        LIFTED = "lifted", _("解除")
        WITHDRAWN = "withdrawn", _("警告有误，撤回")
        DISPUTE_OPENED = "dispute_opened", _("提出异议")
        DISPUTE_CLOSED = "dispute_closed", _("异议办结")

    subject = models.ForeignKey(CreditSubject, on_delete=models.PROTECT, related_name="ledger")
    seq = models.PositiveIntegerField()
    kind = models.CharField(max_length=10, choices=Kind.choices)
    code = models.CharField(_("代码"), max_length=40)
    title = models.CharField(_("事项"), max_length=200)
    points = models.IntegerField(_("分值"), default=0)
    severity = models.CharField(_("类别"), max_length=10, choices=Severity.choices, default=Severity.INFO)
    source = models.CharField(max_length=12, choices=Source.choices)
    measure = models.CharField(max_length=10, choices=MeasureKind.choices, blank=True)
    reason = models.CharField(max_length=20, choices=Reason.choices, blank=True)
    refers_to = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="followups")
    rule_code = models.CharField(_("规则代码"), max_length=20, blank=True)
    basis = models.TextField(_("依据"), blank=True)
    evidence = models.JSONField(_("证据"), default=dict, blank=True)
    is_warning = models.BooleanField(default=False)
    is_quality_complaint = models.BooleanField(default=False)
    public = models.BooleanField(default=True)
    repairable_after = models.DateTimeField(null=True, blank=True)
    effective_at = models.DateTimeField(_("生效时间"))
    expires_at = models.DateTimeField(_("失效时间"), null=True, blank=True)
    policy = models.ForeignKey(PolicyVersion, null=True, blank=True, on_delete=models.PROTECT)
    recorded_at = models.DateTimeField(_("记录时间"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    objects = LedgerQuerySet.as_manager()

    class Meta:
        ordering = ["subject", "seq"]
        verbose_name = _("信用记录")
        verbose_name_plural = _("信用记录")
        constraints = [models.UniqueConstraint(fields=["subject", "seq"], name="uniq_ledger_seq")]
        indexes = LEDGER_INDEXES

    def __str__(self) -> str:
        return f"#{self.seq} {self.code} {self.points:+d}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError("The credit ledger is append-only: write a correcting entry instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("The credit ledger is append-only: entries are never deleted.")

    # --- the chain -------------------------------------------------------------------------
    def canonical(self) -> dict[str, Any]:
        """The fields the hash covers, in a stable form."""

        def ts(value: datetime.datetime | None) -> str | None:
            return value.astimezone(datetime.UTC).isoformat(timespec="microseconds") if value else None

        return {
            "subject": self.subject_id,
            "seq": self.seq,
            "kind": self.kind,
            "code": self.code,
            "title": self.title,
            "points": self.points,
            "severity": self.severity,
            "source": self.source,
            "measure": self.measure,
            "reason": self.reason,
            "refers_to": self.refers_to_id,
            "rule_code": self.rule_code,
            "basis": self.basis,
            "evidence": self.evidence,
            "is_warning": self.is_warning,
            "is_quality_complaint": self.is_quality_complaint,
            "public": self.public,
            "repairable_after": ts(self.repairable_after),
            "effective_at": ts(self.effective_at),
            "expires_at": ts(self.expires_at),
            "policy": self.policy_id,
            "recorded_at": ts(self.recorded_at),
            "recorded_by": self.recorded_by_id,
            "prev_hash": self.prev_hash,
        }

    def compute_hash(self) -> str:
        payload = json.dumps(self.canonical(), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()


class DecisionRecord(models.Model):
    """A gate decision, kept with its inputs: allowed or refused, the reasons and the measures."""

    at = models.DateTimeField(default=timezone.now)
    subject = models.ForeignKey(
        CreditSubject, null=True, blank=True, on_delete=models.PROTECT, related_name="decisions"
    )
    transition = models.CharField(max_length=60)
    target = models.CharField(_("业务对象"), max_length=80, blank=True, help_text="app_label.model:pk")
    allowed = models.BooleanField()
    reasons = models.JSONField(default=list)
    measures = models.JSONField(default=list)
    inputs = models.JSONField(default=dict)
    policy = models.ForeignKey(PolicyVersion, null=True, blank=True, on_delete=models.PROTECT)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("信用审查记录")
        verbose_name_plural = _("信用审查记录")
        indexes = [models.Index(fields=["subject", "-at"]), models.Index(fields=["target"])]

    def __str__(self) -> str:
        return f"{self.transition} {'✓' if self.allowed else '✗'} {self.at:%Y-%m-%d %H:%M}"


class ExternalListImport(models.Model):
    """One import of an external dishonesty list file (失信名单): all of it, or none of it."""

    imported_at = models.DateTimeField(auto_now_add=True)
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    filename = models.CharField(max_length=200)
    sha256 = models.CharField(max_length=64)
    rows = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-imported_at"]
        verbose_name = _("外部失信名单导入")
        verbose_name_plural = _("外部失信名单导入")


class ExternalListing(models.Model):
    """An organisation on an external dishonesty list (失信被执行人 etc.) for a period."""

    batch = models.ForeignKey(ExternalListImport, on_delete=models.PROTECT, related_name="listings")
    uscc = models.CharField(_("统一社会信用代码"), max_length=18, db_index=True)
    name = models.CharField(_("名称"), max_length=200)
    reason = models.CharField(_("列入事由"), max_length=300)
    source = models.CharField(_("名单来源"), max_length=100)
    listed_on = models.DateField(_("列入日期"))
    delisted_on = models.DateField(_("移出日期"), null=True, blank=True)

    class Meta:
        ordering = ["-listed_on"]
        verbose_name = _("外部失信名单")
        verbose_name_plural = _("外部失信名单")
        constraints = [
            models.UniqueConstraint(fields=["uscc", "source", "listed_on"], name="uniq_external_listing"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.uscc}) — {self.source}"
