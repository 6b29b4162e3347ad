"""Supervisors edit the credit policy in the back office; they see the ledger read-only."""

from django.db import migrations

GRANTS = {
    "policyversion": ["view", "add", "change", "delete"],
    "catalogueentry": ["view", "add", "change", "delete"],
    "commitmentletter": ["view", "add", "change"],
    "creditsubject": ["view"],
    "ledgerentry": ["view"],
    "decisionrecord": ["view"],
    "externallistimport": ["view"],
    "externallisting": ["view"],
}


def grant(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="supervisor")
    for model, actions in GRANTS.items():
        for action in actions:
            group.permissions.add(
                Permission.objects.get(content_type__app_label="credit_rules", codename=f"{action}_{model}")
            )


class Migration(migrations.Migration):
    dependencies = [("credit_rules", "0003_ledger_append_only"), ("marketplace", "0003_calendar")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
