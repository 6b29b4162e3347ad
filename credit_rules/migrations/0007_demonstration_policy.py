"""Version 1 becomes the demonstration policy with the national classes; other versions keep their meaning.

- Version 1 (installed by 0002) is marked a demonstration policy, and its catalogue rows take the classes,
  repairability and bases of ``credit_rules.defaults`` now: every basis cites real documents only.
- Every catalogue row of any version: ``repairable`` from the old ``repairable_after_months`` (None meant
  never; the period itself now comes from the class, so 0008 drops the column); the retired class
  "grave" becomes "serious" (严重). A basis still beginning as one of the texts once shipped (citing
  documents that do not exist, all titled 中介服务网上交易平台…, or the payment regulation with an
  article and wording this migration cannot vouch for) is replaced by the default basis of its code.
- Ledger entries are untouched: the ledger is append-only, its stored classes stay readable (``minor``
  is 一般, ``serious`` 严重, the retired ``grave`` reads as 严重) and its recorded bases are history.
"""

from django.db import migrations

# The beginnings of the bases once shipped (title marks as escapes: no title is cited here).
SHIPPED_BY_MISTAKE = ("\u300a中介服务网上交易平台", "\u300a保障中小企业款项支付条例\u300b第八条：机关、事业单位应当自验收之日起")
OLD_REPAIR_MONTHS = {"slight": 0, "minor": 3, "serious": 12}


def forwards(apps, schema_editor):
    from credit_rules import defaults

    PolicyVersion = apps.get_model("credit_rules", "PolicyVersion")
    CatalogueEntry = apps.get_model("credit_rules", "CatalogueEntry")
    items = {item.code: item for item in defaults.CATALOGUE}
    PolicyVersion.objects.filter(version=1).update(is_demonstration=True)
    for row in CatalogueEntry.objects.select_related("policy"):
        fields = {"repairable": row.repairable_after_months is not None}
        if row.severity == "grave":
            fields["severity"] = "serious"
        item = items.get(row.code)
        if item is not None and row.policy.version == 1:
            fields.update(severity=item.severity, repairable=item.repairable, basis=item.basis)
        elif item is not None and row.basis.startswith(SHIPPED_BY_MISTAKE):
            fields["basis"] = item.basis
        CatalogueEntry.objects.filter(pk=row.pk).update(**fields)


def backwards(apps, schema_editor):
    CatalogueEntry = apps.get_model("credit_rules", "CatalogueEntry")
    for row in CatalogueEntry.objects.all():
        months = OLD_REPAIR_MONTHS.get(row.severity) if row.repairable else None
        CatalogueEntry.objects.filter(pk=row.pk).update(repairable_after_months=months)


class Migration(migrations.Migration):
    dependencies = [("credit_rules", "0006_national_classes_local_basis")]

    operations = [migrations.RunPython(forwards, backwards)]
