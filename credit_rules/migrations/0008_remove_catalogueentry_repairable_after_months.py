"""A catalogue entry's repair period is its class's (policy data); the entry only says whether it is repairable."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("credit_rules", "0007_demonstration_policy")]

    operations = [migrations.RemoveField(model_name="catalogueentry", name="repairable_after_months")]
