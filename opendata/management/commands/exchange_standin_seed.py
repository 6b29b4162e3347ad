"""Give the local stand-in credit platform lists to serve (``make demo``), so a pull on a laptop has work to do."""

from __future__ import annotations

import datetime

from django.core.management.base import BaseCommand
from django.utils import timezone

from marketplace.models import Agency
from marketplace.validators import org_code_for_serial, uscc_build
from opendata.exchange_models import StandinListing
from workflows.models import Membership


class Command(BaseCommand):
    help = "Fill the stand-in credit platform's lists: the last active member on 失信被执行人, an outsider, a red list."

    def handle(self, *args, **options):
        if StandinListing.objects.exists():
            self.stdout.write("The stand-in already serves its lists.")
            return
        today = timezone.localdate()
        member = Agency.objects.filter(memberships__state=Membership.State.ACTIVE).order_by("-pk").first()
        outsider = uscc_build(region_code="330100", org_code=org_code_for_serial(424242))
        rows = [
            StandinListing(
                source="yzsxzt",
                uscc=outsider,
                name="杭州示例工程咨询有限公司",
                reason="拒不履行行政处罚决定",
                listed_on=today - datetime.timedelta(days=20),
            )
        ]
        if member is not None:
            rows += [
                StandinListing(
                    source="sxbzxr",
                    uscc=member.uscc,
                    name=member.name,
                    reason="有履行能力而拒不履行生效法律文书确定的义务",
                    listed_on=today - datetime.timedelta(days=2),
                ),
                StandinListing(
                    source="red",
                    uscc=member.uscc,
                    name=member.name,
                    reason="纳税信用 A 级",
                    listed_on=today - datetime.timedelta(days=60),
                ),
            ]
        StandinListing.objects.bulk_create(rows)
        self.stdout.write(f"The stand-in serves {len(rows)} listings.")
