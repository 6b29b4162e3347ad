"""Restate the buyer entries' basis without two documents the shipped policy no longer cites.

The default catalogue named 国发〔2016〕76号 for the buyers' government-integrity record and 国办发〔2020〕49号
for prior notice. The shipped policy now cites only the documents of ``credit_rules.citations``; a stored
catalogue entry whose basis still names one of the two is given the current default basis of its code. A
basis a deployment wrote itself (naming neither) is left as written.
"""

from django.db import migrations

DROPPED = ("国务院关于加强政务诚信建设的指导意见", "国务院办公厅关于进一步完善失信约束制度构建诚信建设长效机制的指导意见")


def restate(apps, schema_editor):
    from credit_rules import defaults

    CatalogueEntry = apps.get_model("credit_rules", "CatalogueEntry")
    current = {item.code: item.basis for item in defaults.CATALOGUE}
    for entry in CatalogueEntry.objects.filter(code__in=current):
        if any(title in entry.basis for title in DROPPED):
            # A published version refuses edits through the model; this correction of its citations is the
            # one exception, made here and said in the docstring.
            CatalogueEntry.objects.filter(pk=entry.pk).update(basis=current[entry.code])


class Migration(migrations.Migration):
    dependencies = [("credit_rules", "0014_public_list_indexes")]

    operations = [migrations.RunPython(restate, migrations.RunPython.noop)]
