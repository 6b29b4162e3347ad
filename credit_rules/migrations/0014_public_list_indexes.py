"""The red list in its order and the directory's measure filters, as partial indexes over the few flagged subjects."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("credit_rules", "0013_warning_withdrawal"),
        ("marketplace", "0007_agency_directory_indexes"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="creditsubject",
            index=models.Index(
                condition=models.Q(("is_rewarded", True)),
                fields=["-score", "name", "id"],
                name="credit_subject_redlist",
            ),
        ),
        migrations.AddIndex(
            model_name="creditsubject",
            index=models.Index(
                condition=models.Q(("is_restricted", True)), fields=["agency"], name="credit_subject_restricted"
            ),
        ),
        migrations.AddIndex(
            model_name="creditsubject",
            index=models.Index(
                condition=models.Q(("is_suspended", True)), fields=["agency"], name="credit_subject_suspended"
            ),
        ),
    ]
