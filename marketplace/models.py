"""Static data of the marketplace: regions, service categories, qualifications, buyers, agencies.

Nothing here has a lifecycle; state machines live in ``workflows`` and credit in ``credit_rules``.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Upper
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from .dbops import ShortGrams
from .validators import validate_document_upload, validate_uscc


class BilingualName(models.Model):
    """Mixin for data rows that carry a Chinese name and an English one."""

    name = models.CharField(_("名称"), max_length=100)
    name_en = models.CharField(_("英文名称"), max_length=150, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """The name in the active language (Chinese when no English name is kept)."""
        if (get_language() or "").startswith("en") and self.name_en:
            return self.name_en
        return self.name


class Region(BilingualName):
    """An administrative division (行政区划, GB/T 2260) that scopes buyers, agencies and supervisors."""

    code = models.CharField(_("区划代码"), max_length=6, unique=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")

    class Meta:
        ordering = ["code"]
        verbose_name = _("行政区划")
        verbose_name_plural = _("行政区划")


class ServiceCategory(BilingualName):
    """A service item (服务事项): a two-level tree of what agencies offer and buyers buy."""

    code = models.CharField(_("编码"), max_length=20, unique=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children", verbose_name=_("上级")
    )
    sort_order = models.PositiveIntegerField(_("排序"), default=0)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("服务事项")
        verbose_name_plural = _("服务事项")


class QualificationType(BilingualName):
    """A kind of licence (资质) that regulated service categories require."""

    code = models.CharField(_("编码"), max_length=20, unique=True)
    issuing_body = models.CharField(_("发证机关"), max_length=100, blank=True)
    categories = models.ManyToManyField(
        ServiceCategory, related_name="qualification_types", verbose_name=_("适用服务事项")
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("资质类型")
        verbose_name_plural = _("资质类型")


class QualificationLevel(BilingualName):
    """A grade of a licence (甲级/乙级/丙级 or 一级/二级); rank 1 is the highest."""

    qualification_type = models.ForeignKey(QualificationType, on_delete=models.CASCADE, related_name="levels")
    rank = models.PositiveSmallIntegerField(_("等级序号"), help_text=_("1 为最高等级"))

    class Meta:
        ordering = ["qualification_type", "rank"]
        constraints = [models.UniqueConstraint(fields=["qualification_type", "rank"], name="uniq_level_rank")]
        verbose_name = _("资质等级")
        verbose_name_plural = _("资质等级")


class Organisation(models.Model):
    """Fields shared by buyer units and agencies: both are legal persons with a USCC."""

    uscc = models.CharField(_("统一社会信用代码"), max_length=18, unique=True, validators=[validate_uscc])
    name = models.CharField(_("名称"), max_length=200)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, verbose_name=_("所在地区"))
    address = models.CharField(_("地址"), max_length=200, blank=True)
    # Personal data of natural persons: never shown on public pages.
    contact_name = models.CharField(_("联系人"), max_length=50, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=30, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        """A USCC never changes once recorded: the credit record, the blacklist and every published notice
        follow it, so a changed USCC would let a listed organisation register again with a clean record."""
        if self.pk is not None:
            stored = type(self)._default_manager.filter(pk=self.pk).values_list("uscc", flat=True).first()
            if stored is not None and stored != self.uscc:
                raise ValidationError(
                    _("统一社会信用代码登记后不能更改（原为 %(old)s）。如登记有误，请注销后以正确代码重新注册。"),
                    code="uscc_immutable",
                    params={"old": stored},
                )
        super().save(*args, **kwargs)


class BuyerUnit(Organisation):
    """A government department or public institution that buys services (项目业主/采购人)."""

    # The department the unit answers to (an organisation, never a person): told of its credit warnings.
    supervising_department = models.CharField(_("主管部门"), max_length=200, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("项目业主")
        verbose_name_plural = _("项目业主")
        indexes = [
            # The buyers' record's order, as the agencies' directory's.
            models.Index(fields=["name", "id"], name="buyer_name_id"),
            # Searched by name (the buyers' record; the project search by buyer): as the agencies' names are.
            GinIndex(OpClass(Upper("name"), name="gin_trgm_ops"), name="buyer_name_trgm"),
            GinIndex(OpClass(Upper("uscc"), name="gin_trgm_ops"), name="buyer_uscc_trgm"),
            GinIndex(ShortGrams(Upper("name")), name="buyer_name_grams"),
        ]
        permissions = [
            ("act_for_buyerunit", _("可代表该业主单位办理项目")),
            ("administer_buyerunit", _("可管理该业主单位的受托人")),
        ]


class Agency(Organisation):
    """An intermediary-service provider (中介机构), a legal person identified by its USCC."""

    legal_representative = models.CharField(_("法定代表人"), max_length=50, blank=True)
    categories = models.ManyToManyField(
        ServiceCategory, blank=True, related_name="agencies", verbose_name=_("服务事项")
    )
    introduction = models.TextField(_("机构简介"), blank=True)
    # When the agency proved control of its USCC (workflows' IdentityVerification, set by its verifying
    # transition only): the public credit pages list only agencies with it, and only they may enter the market.
    identity_verified_at = models.DateTimeField(_("身份核验通过时间"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("中介机构")
        verbose_name_plural = _("中介机构")
        indexes = [
            # The public directory's order: page 1 reads 20 index entries instead of sorting every agency.
            models.Index(fields=["name", "id"], name="agency_name_id"),
            # Its search (name or USCC, any part of it): pg_trgm on PostgreSQL only (marketplace.dbops).
            GinIndex(OpClass(Upper("name"), name="gin_trgm_ops"), name="agency_name_trgm"),
            GinIndex(OpClass(Upper("uscc"), name="gin_trgm_ops"), name="agency_uscc_trgm"),
            # A name search of one or two characters (no trigram in it): the name's characters and pairs.
            GinIndex(ShortGrams(Upper("name")), name="agency_name_grams"),
        ]
        permissions = [
            ("act_for_agency", _("可代表该中介机构办理业务")),
            ("administer_agency", _("可管理该中介机构的员工账号")),
        ]


def qualification_upload_to(instance: Qualification, filename: str) -> str:
    return f"qualifications/{instance.agency_id}/{filename}"


class Qualification(models.Model):
    """A licence held by an agency; it counts for its categories only until ``valid_until``."""

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="qualifications")
    qualification_type = models.ForeignKey(QualificationType, on_delete=models.PROTECT, verbose_name=_("资质类型"))
    level = models.ForeignKey(QualificationLevel, on_delete=models.PROTECT, verbose_name=_("等级"))
    certificate_no = models.CharField(_("证书编号"), max_length=60)
    issued_by = models.CharField(_("发证机关"), max_length=100, blank=True)
    valid_until = models.DateField(_("有效期至"))
    document = models.FileField(
        _("证书扫描件"), upload_to=qualification_upload_to, blank=True, validators=[validate_document_upload]
    )

    class Meta:
        ordering = ["agency", "qualification_type"]
        verbose_name = _("资质证书")
        verbose_name_plural = _("资质证书")
        indexes = [models.Index(fields=["qualification_type", "valid_until"])]

    def __str__(self) -> str:
        return f"{self.qualification_type} {self.level} ({self.certificate_no})"

    def is_valid_on(self, day: datetime.date) -> bool:
        """An expired qualification silently stops counting; no one has to switch it off."""
        return self.valid_until >= day


class StaffLink(models.Model):
    """A person's account acting for an organisation; rights come from guardian object perms."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    is_admin = models.BooleanField(_("管理员"), default=False)
    position = models.CharField(_("职务"), max_length=50, blank=True)

    class Meta:
        abstract = True


class BuyerStaff(StaffLink):
    """An account of a buyer unit: its administrator or a delegated officer (采购受托人)."""

    unit = models.ForeignKey(BuyerUnit, on_delete=models.CASCADE, related_name="staff")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user"], name="uniq_buyer_staff_user")]
        verbose_name = _("业主单位账号")
        verbose_name_plural = _("业主单位账号")


class AgencyStaff(StaffLink):
    """An account of an agency's clerk or administrator."""

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="staff")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user"], name="uniq_agency_staff_user")]
        verbose_name = _("中介机构账号")
        verbose_name_plural = _("中介机构账号")


class SupervisorProfile(models.Model):
    """A supervisor (监管部门) account and the regions and categories it may act in."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="supervisor")
    authority = models.CharField(_("监管部门"), max_length=100)
    all_regions = models.BooleanField(_("全部地区"), default=False)
    regions = models.ManyToManyField(Region, blank=True, verbose_name=_("监管地区"))
    all_categories = models.BooleanField(_("全部服务事项"), default=False)
    categories = models.ManyToManyField(ServiceCategory, blank=True, verbose_name=_("监管服务事项"))

    class Meta:
        verbose_name = _("监管人员")
        verbose_name_plural = _("监管人员")

    def __str__(self) -> str:
        return f"{self.authority} / {self.user.get_username()}"


class CalendarDay(models.Model):
    """An exception to the Monday–Friday week: a public holiday, or a weekend make-up working day (调休)."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("法定节假日")
        WORKDAY = "workday", _("调休工作日")

    date = models.DateField(_("日期"), unique=True)
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    note = models.CharField(_("说明"), max_length=50, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("节假日与调休")
        verbose_name_plural = _("节假日与调休")

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()} {self.note}"
