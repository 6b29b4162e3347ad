"""Publish policy version 1 with the default catalogue, and commitment letter version 1."""

import datetime

from django.db import migrations


def load(apps, schema_editor):
    from credit_rules import defaults

    PolicyVersion = apps.get_model("credit_rules", "PolicyVersion")
    CatalogueEntry = apps.get_model("credit_rules", "CatalogueEntry")
    CommitmentLetter = apps.get_model("credit_rules", "CommitmentLetter")
    start = datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
    policy, created = PolicyVersion.objects.get_or_create(
        version=1, defaults={"effective_from": start, "published_at": start, "note": "初始版本（默认政策）"}
    )
    if created:
        # The catalogue as the code defines it now; its classes and repairability are completed by 0007.
        for item in defaults.CATALOGUE:
            CatalogueEntry.objects.create(
                policy=policy,
                code=item.code,
                name=item.name,
                name_en=item.name_en,
                points=item.points,
                severity=item.severity,
                basis=item.basis,
                **item.flags,
            )
    CommitmentLetter.objects.get_or_create(
        version=1, defaults={"body": defaults.COMMITMENT_LETTER, "effective_from": start}
    )


class Migration(migrations.Migration):
    dependencies = [("credit_rules", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
