"""The platform credit office (平台信用管理), and the credit permissions that move to it from supervisors.

Before: the ``supervisor`` group could add, change and delete credit policy versions and their
catalogue, add and change commitment letters, and view every ledger entry, decision and external
listing in the Django admin (credit_rules migration 0004); supervisor accounts were staff. But a
supervisor's authority is a region and category scope, and policy and commitment letters are
platform-wide.

After: the Django admin is closed to plain supervisors (their pages are /supervisor/, scoped, and
the moderation of notices in /cms/). The new ``credit_office`` group holds what the supervisors
held here, and reaches /cms/ to moderate notices and withdraw them; only it edits and publishes
policy and commitment letters (the admin checks the role as well as these permissions). Supervisor
accounts that are neither credit office, operator nor superuser stop being staff.
"""

from django.conf import settings
from django.db import migrations

CREDIT_OFFICE = "credit_office"
SUPERVISOR = "supervisor"
STAFF_ROLES = (CREDIT_OFFICE, "operator")
GRANTS = {
    "policyversion": ["view", "add", "change", "delete"],
    "catalogueentry": ["view", "add", "change", "delete"],
    "localbasis": ["view", "add", "change", "delete"],
    "commitmentletter": ["view", "add", "change"],
    "creditsubject": ["view"],
    "ledgerentry": ["view"],
    "decisionrecord": ["view"],
    "externallistimport": ["view"],
    "externallisting": ["view"],
}


def _permissions(apps):
    Permission = apps.get_model("auth", "Permission")
    return [
        Permission.objects.get(content_type__app_label="credit_rules", codename=f"{action}_{model}")
        for model, actions in GRANTS.items()
        for action in actions
    ]


def _access_admin(apps):
    Permission = apps.get_model("auth", "Permission")
    return Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin")


def forwards(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after migrating; moving them needs them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    User = apps.get_model(*settings.AUTH_USER_MODEL.split("."))
    office, _ = Group.objects.get_or_create(name=CREDIT_OFFICE)
    supervisor, _ = Group.objects.get_or_create(name=SUPERVISOR)

    supervisor.permissions.remove(*Permission.objects.filter(content_type__app_label="credit_rules"))
    office.permissions.add(*_permissions(apps), _access_admin(apps))
    User.objects.filter(groups=supervisor, is_staff=True, is_superuser=False).exclude(
        groups__name__in=STAFF_ROLES
    ).update(is_staff=False)


def backwards(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    User = apps.get_model(*settings.AUTH_USER_MODEL.split("."))
    supervisor, _ = Group.objects.get_or_create(name=SUPERVISOR)
    supervisor.permissions.add(*_permissions(apps))
    User.objects.filter(groups=supervisor).update(is_staff=True)
    Group.objects.filter(name=CREDIT_OFFICE).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("marketplace", "0003_calendar"),
        ("credit_rules", "0009_policy_measures_in_service"),
        ("wagtailadmin", "0006_formstate"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
