"""People and organisations: factory_boy factories for rows, and accounts given their roles by the services."""

from __future__ import annotations

import datetime

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from faker import Faker

from marketplace import services
from marketplace.models import (
    Agency,
    BuyerUnit,
    Qualification,
    QualificationLevel,
    QualificationType,
    Region,
    ServiceCategory,
)
from marketplace.roles import Role
from marketplace.validators import org_code_for_serial, uscc_build
from tests.helpers import pdf_file
from workflows.services.identity import identity_decide, identity_open

fake = Faker("zh_CN")


def default_region() -> Region:
    return Region.objects.get(code="441302")


def leaf_category(code: str = "VAL-RE") -> ServiceCategory:
    return ServiceCategory.objects.get(code=code)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.LazyFunction(fake.name)
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", "pw-12345")

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.add(Group.objects.get_or_create(name=str(extracted))[0])
        if create:
            self.save()


class BuyerUnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BuyerUnit

    uscc = factory.Sequence(
        lambda n: uscc_build(authority="1", kind="1", region_code="441300", org_code=org_code_for_serial(n, "BU"))
    )
    name = factory.Sequence(lambda n: f"惠州市第{n}测试局")
    region = factory.LazyFunction(default_region)
    contact_name = factory.LazyFunction(fake.name)
    contact_phone = factory.LazyFunction(fake.phone_number)


class AgencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agency
        skip_postgeneration_save = True

    uscc = factory.Sequence(lambda n: uscc_build(region_code="441302", org_code=org_code_for_serial(n, "TF")))
    name = factory.Sequence(lambda n: f"惠州测试评估咨询有限公司{n:04d}")
    region = factory.LazyFunction(default_region)
    contact_name = factory.LazyFunction(fake.name)
    contact_phone = factory.LazyFunction(fake.phone_number)
    legal_representative = factory.LazyFunction(fake.name)

    @factory.post_generation
    def categories(self, create, extracted, **kwargs):
        if create:
            self.categories.set(extracted if extracted is not None else [leaf_category()])

    @factory.post_generation
    def identity(self, create, extracted, **kwargs):
        """Registration's verification with a licence scan, then the operator's verdict, through the services:
        ``identity="verified"`` (the default), ``"submitted"`` (awaiting review) or ``"rejected"``."""
        if not create:
            return
        state = extracted or "verified"
        verification = identity_open(agency=self, licence=pdf_file("licence.pdf"))
        if state == "submitted":
            return
        result = identity_decide(
            verification=verification,
            actor=operator_user("factory_operator"),
            verified=state == "verified",
            reason="" if state == "verified" else "营业执照上的名称与登记的机构名称不一致。",
        )
        assert result.ok, result.messages
        self.identity_verified_at = Agency.objects.values_list("identity_verified_at", flat=True).get(pk=self.pk)


class QualificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Qualification

    agency = factory.SubFactory(AgencyFactory)
    qualification_type = factory.LazyFunction(lambda: QualificationType.objects.get(code="Q-RE"))
    level = factory.LazyAttribute(
        lambda o: QualificationLevel.objects.get(qualification_type=o.qualification_type, rank=1)
    )
    certificate_no = factory.Sequence(lambda n: f"粤房估{n:06d}")
    valid_until = factory.LazyFunction(lambda: datetime.date.today() + datetime.timedelta(days=365))


def agency_user(agency: Agency | None = None, *, is_admin: bool = True, username: str | None = None):
    """An agency account (creating the agency when none is given)."""
    agency = agency or AgencyFactory()
    user = UserFactory(role=Role.AGENCY, **({"username": username} if username else {}))
    services.agency_staff_add(agency=agency, user=user, is_admin=is_admin)
    return user


def buyer_user(unit: BuyerUnit | None = None, *, is_admin: bool = True, username: str | None = None):
    """A buyer account (creating the unit when none is given)."""
    unit = unit or BuyerUnitFactory()
    user = UserFactory(role=Role.BUYER, **({"username": username} if username else {}))
    services.buyer_staff_add(unit=unit, user=user, is_admin=is_admin)
    return user


def supervisor_user(*, regions=None, categories=None, all_regions=False, all_categories=False, username=None):
    """A supervisor account with a scope (everything when no scope is given)."""
    user = UserFactory(**({"username": username} if username else {}))
    if regions is None and categories is None and not all_regions and not all_categories:
        all_regions = all_categories = True
    services.supervisor_create(
        user=user,
        authority="惠州市发展和改革局",
        regions=regions or [],
        categories=categories or [],
        all_regions=all_regions,
        all_categories=all_categories,
    )
    return user


def operator_user(username: str | None = None):
    return UserFactory(role=Role.OPERATOR, **({"username": username} if username else {}))


def credit_office_user(username: str | None = None):
    """A platform credit office account (平台信用管理): policy, commitment letters, lists for everyone."""
    user = UserFactory(**({"username": username} if username else {}))
    services.credit_office_add(user=user)
    return user
