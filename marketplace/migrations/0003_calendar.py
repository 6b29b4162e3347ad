"""Working-day calendar kept as data, with the 2026 and 2027 national holiday arrangement."""

import datetime

from django.db import migrations, models

# 国务院办公厅关于节假日安排的通知 (2026 as published; 2027 the usual pattern, editable in the back office)
HOLIDAYS_2026 = [
    ("2026-01-01", "2026-01-03", "元旦"),
    ("2026-02-15", "2026-02-23", "春节"),
    ("2026-04-04", "2026-04-06", "清明节"),
    ("2026-05-01", "2026-05-05", "劳动节"),
    ("2026-06-19", "2026-06-21", "端午节"),
    ("2026-09-25", "2026-09-27", "中秋节"),
    ("2026-10-01", "2026-10-07", "国庆节"),
    ("2027-01-01", "2027-01-03", "元旦"),
    ("2027-02-06", "2027-02-12", "春节"),
    ("2027-04-05", "2027-04-05", "清明节"),
    ("2027-05-01", "2027-05-05", "劳动节"),
    ("2027-06-09", "2027-06-11", "端午节"),
    ("2027-09-15", "2027-09-17", "中秋节"),
    ("2027-10-01", "2027-10-07", "国庆节"),
]
WORKDAYS = [
    ("2026-01-04", "元旦调休"),
    ("2026-02-14", "春节调休"),
    ("2026-02-28", "春节调休"),
    ("2026-05-09", "劳动节调休"),
    ("2026-09-20", "国庆节调休"),
    ("2026-10-10", "国庆节调休"),
]


def load(apps, schema_editor):
    CalendarDay = apps.get_model("marketplace", "CalendarDay")
    for first, last, note in HOLIDAYS_2026:
        day = datetime.date.fromisoformat(first)
        end = datetime.date.fromisoformat(last)
        while day <= end:
            CalendarDay.objects.update_or_create(date=day, defaults={"kind": "holiday", "note": note})
            day += datetime.timedelta(days=1)
    for date, note in WORKDAYS:
        CalendarDay.objects.update_or_create(date=date, defaults={"kind": "workday", "note": note})


class Migration(migrations.Migration):
    dependencies = [("marketplace", "0002_default_data")]

    operations = [
        migrations.CreateModel(
            name="CalendarDay",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("date", models.DateField(unique=True, verbose_name="日期")),
                ("kind", models.CharField(choices=[("holiday", "法定节假日"), ("workday", "调休工作日")], max_length=10, verbose_name="类型")),
                ("note", models.CharField(blank=True, max_length=50, verbose_name="说明")),
            ],
            options={"verbose_name": "节假日与调休", "verbose_name_plural": "节假日与调休", "ordering": ["date"]},
        ),
        migrations.RunPython(load, migrations.RunPython.noop),
    ]
