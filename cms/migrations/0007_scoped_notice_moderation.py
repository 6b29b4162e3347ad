"""Moderating measure notices follows the moderator's scope, and nobody holds a page permission on notices.

Migration 0004 made the one task of 「措施公告审核」 a plain ``GroupApprovalTask`` — every supervisor
and operator saw and approved every notice — and gave both groups the publish permission on the notice
index so that Wagtail would publish the approved revision as the approver. That permission also let
any supervisor unpublish any notice, and the editor let a moderator change a notice's slug and expiry
before approving it. Now:

* the task becomes the proxy ``cms.NoticeApprovalTask`` (only its content type changes: the row, its
  groups and its task states stay), which shows a supervisor, and lets it act on, only the notices of
  agencies in its scope, and opens the editor to nobody; the platform credit office joins its groups;
* the publish permission on the notice index is taken back from both groups: the approved revision is
  published by the workflow's finish action (``cms.moderation``), and no one changes a notice by hand.
"""

from django.db import migrations

WORKFLOW_NAME = "措施公告审核"
OLD_TASK_NAME = "公告审核（监管部门或运营机构）"
TASK_NAME = "公告审核（监管部门限监管范围；运营机构、平台信用管理）"
PAGE_GROUPS = ("supervisor", "operator")
CREDIT_OFFICE = "credit_office"


def _tasks(apps):
    Task = apps.get_model("wagtailcore", "Task")
    WorkflowTask = apps.get_model("wagtailcore", "WorkflowTask")
    ids = WorkflowTask.objects.filter(workflow__name=WORKFLOW_NAME).values_list("task_id", flat=True)
    return Task.objects.filter(pk__in=list(ids))


def forwards(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Group = apps.get_model("auth", "Group")
    GroupApprovalTask = apps.get_model("wagtailcore", "GroupApprovalTask")
    GroupPagePermission = apps.get_model("wagtailcore", "GroupPagePermission")

    proxy, _ = ContentType.objects.get_or_create(app_label="cms", model="noticeapprovaltask")
    plain, _ = ContentType.objects.get_or_create(app_label="wagtailcore", model="groupapprovaltask")
    office, _ = Group.objects.get_or_create(name=CREDIT_OFFICE)
    tasks = _tasks(apps).filter(content_type=plain)
    for task in GroupApprovalTask.objects.filter(pk__in=list(tasks.values_list("pk", flat=True))):
        task.groups.add(office)
    _tasks(apps).filter(name=OLD_TASK_NAME).update(name=TASK_NAME)
    tasks.update(content_type=proxy)
    GroupPagePermission.objects.filter(
        group__name__in=PAGE_GROUPS, page__content_type__app_label="cms", permission__codename="publish_page"
    ).delete()


def backwards(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    GroupApprovalTask = apps.get_model("wagtailcore", "GroupApprovalTask")
    GroupPagePermission = apps.get_model("wagtailcore", "GroupPagePermission")
    NoticeIndexPage = apps.get_model("cms", "NoticeIndexPage")

    plain, _ = ContentType.objects.get_or_create(app_label="wagtailcore", model="groupapprovaltask")
    _tasks(apps).update(content_type=plain)
    _tasks(apps).filter(name=TASK_NAME).update(name=OLD_TASK_NAME)
    for task in GroupApprovalTask.objects.filter(pk__in=list(_tasks(apps).values_list("pk", flat=True))):
        task.groups.remove(*Group.objects.filter(name=CREDIT_OFFICE))
    publish_page = Permission.objects.get(
        content_type__app_label="wagtailcore", content_type__model="page", codename="publish_page"
    )
    for index in NoticeIndexPage.objects.all():
        for group in Group.objects.filter(name__in=PAGE_GROUPS):
            GroupPagePermission.objects.get_or_create(group=group, page_id=index.pk, permission=publish_page)


class Migration(migrations.Migration):
    dependencies = [
        ("cms", "0006_revocation_notice"),
        ("marketplace", "0004_credit_office_role"),
        ("wagtailcore", "0098_apitoken"),
    ]

    operations = [
        migrations.CreateModel(
            name="NoticeApprovalTask",
            fields=[],
            options={
                "verbose_name": "公告审核（按监管范围）",
                "verbose_name_plural": "公告审核（按监管范围）",
                "proxy": True,
                "indexes": [],
                "constraints": [],
            },
            bases=("wagtailcore.groupapprovaltask",),
        ),
        migrations.RunPython(forwards, backwards),
    ]
