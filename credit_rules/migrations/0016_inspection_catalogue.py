# Random inspections (双随机抽查): the findings' catalogue items in version 1 (credit_rules.rules.inspection).

from django.db import migrations

INSPECTION_ITEMS = ("INSPECTION_RECTIFY", "INSPECTION_FAIL")


def shipped_policy_lists_inspection_items(apps, schema_editor):
    """Version 1, the shipped demonstration policy, lists the inspection findings (as 0010 did the buyer's items)."""
    from credit_rules import defaults

    PolicyVersion = apps.get_model("credit_rules", "PolicyVersion")
    CatalogueEntry = apps.get_model("credit_rules", "CatalogueEntry")
    policy = PolicyVersion.objects.filter(version=1).first()
    if policy is None:
        return
    for item in defaults.CATALOGUE:
        if item.code in INSPECTION_ITEMS:
            CatalogueEntry.objects.get_or_create(
                policy=policy,
                code=item.code,
                defaults={
                    "name": item.name,
                    "name_en": item.name_en,
                    "points": item.points,
                    "severity": item.severity,
                    "repairable": item.repairable,
                    "basis": item.basis,
                    **item.flags,
                },
            )


class Migration(migrations.Migration):

    dependencies = [
        ("credit_rules", "0015_basis_cites_listed_documents"),
    ]

    operations = [
        migrations.RunPython(shipped_policy_lists_inspection_items, migrations.RunPython.noop),
    ]
