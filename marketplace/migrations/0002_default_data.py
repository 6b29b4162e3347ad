"""Ship the default regions, service categories, qualification types and role groups."""

from django.db import migrations


def load(apps, schema_editor):
    from marketplace import defaults

    Region = apps.get_model("marketplace", "Region")
    ServiceCategory = apps.get_model("marketplace", "ServiceCategory")
    QualificationType = apps.get_model("marketplace", "QualificationType")
    QualificationLevel = apps.get_model("marketplace", "QualificationLevel")
    Group = apps.get_model("auth", "Group")

    for code, name, name_en, parent in defaults.REGIONS:
        Region.objects.update_or_create(
            code=code,
            defaults={"name": name, "name_en": name_en, "parent": Region.objects.filter(code=parent).first()},
        )
    for order, (code, name, name_en, children) in enumerate(defaults.CATEGORIES):
        top, _ = ServiceCategory.objects.update_or_create(
            code=code, defaults={"name": name, "name_en": name_en, "parent": None, "sort_order": order * 100}
        )
        for child_order, (ccode, cname, cname_en) in enumerate(children):
            ServiceCategory.objects.update_or_create(
                code=ccode,
                defaults={"name": cname, "name_en": cname_en, "parent": top, "sort_order": order * 100 + child_order},
            )
    for code, name, name_en, body, levels, cats in defaults.QUALIFICATION_TYPES:
        qtype, _ = QualificationType.objects.update_or_create(
            code=code, defaults={"name": name, "name_en": name_en, "issuing_body": body}
        )
        qtype.categories.set(ServiceCategory.objects.filter(code__in=cats))
        for rank, (lname, lname_en) in enumerate(levels, start=1):
            QualificationLevel.objects.update_or_create(
                qualification_type=qtype, rank=rank, defaults={"name": lname, "name_en": lname_en}
            )
    for role in ("buyer", "agency", "supervisor", "operator"):
        Group.objects.get_or_create(name=role)


class Migration(migrations.Migration):
    dependencies = [("marketplace", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
