"""The notice index page and its moderation workflow.

Measure notices (suspension, expulsion) wait for a moderator when the credit policy says so. This
creates the notice index under the home page (it used to appear on first publication), a Wagtail
workflow ``措施公告审核`` with one group-approval task for the supervisor and operator groups,
attached to the index, and gives those groups what approving needs: access to /cms/ and the
publish permission on the notice index (Wagtail publishes the approved revision as the approver).
"""

import django.utils.timezone
from django.db import migrations
from django.db.models import F

WORKFLOW_NAME = "措施公告审核"
TASK_NAME = "公告审核（监管部门或运营机构）"
MODERATOR_GROUPS = ("supervisor", "operator")
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"  # treebeard's path alphabet for Wagtail pages
STEPLEN = 4


def _step(number: int) -> str:
    digits = ""
    while number:
        number, rest = divmod(number, len(ALPHABET))
        digits = ALPHABET[rest] + digits
    return digits.rjust(STEPLEN, "0")


def notice_index(apps):
    """The notice index page, created under the home page when it does not exist yet."""
    ContentType = apps.get_model("contenttypes.ContentType")
    Page = apps.get_model("wagtailcore.Page")
    HomePage = apps.get_model("cms.HomePage")
    NoticeIndexPage = apps.get_model("cms.NoticeIndexPage")
    found = NoticeIndexPage.objects.order_by("path").first()
    if found is not None:
        return found
    home = HomePage.objects.order_by("path").first()
    if home is None:
        return None  # no home page to hang it from; the publisher creates it on first use
    last = Page.objects.filter(path__startswith=home.path, depth=home.depth + 1).order_by("-path").first()
    step = int(last.path[-STEPLEN:], len(ALPHABET)) + 1 if last else 1
    content_type, _ = ContentType.objects.get_or_create(app_label="cms", model="noticeindexpage")
    now = django.utils.timezone.now()
    index = NoticeIndexPage.objects.create(
        title="公告公示",
        draft_title="公告公示",
        slug="notices",
        content_type=content_type,
        path=home.path + _step(step),
        depth=home.depth + 1,
        numchild=0,
        url_path=f"{home.url_path}notices/",
        locale_id=home.locale_id,
        live=True,
        has_unpublished_changes=False,
        first_published_at=now,
        last_published_at=now,
    )
    Page.objects.filter(pk=home.pk).update(numchild=F("numchild") + 1)
    return index


def forwards(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    # Page and admin permissions are normally created after migrating; approving needs them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    ContentType = apps.get_model("contenttypes.ContentType")
    Group = apps.get_model("auth.Group")
    Permission = apps.get_model("auth.Permission")
    GroupPagePermission = apps.get_model("wagtailcore.GroupPagePermission")
    GroupApprovalTask = apps.get_model("wagtailcore.GroupApprovalTask")
    Workflow = apps.get_model("wagtailcore.Workflow")
    WorkflowTask = apps.get_model("wagtailcore.WorkflowTask")
    WorkflowPage = apps.get_model("wagtailcore.WorkflowPage")

    index = notice_index(apps)
    groups = [Group.objects.get_or_create(name=name)[0] for name in MODERATOR_GROUPS]
    access_admin = Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin")
    publish_page = Permission.objects.get(
        content_type__app_label="wagtailcore", content_type__model="page", codename="publish_page"
    )
    for group in groups:
        group.permissions.add(access_admin)

    task_type, _ = ContentType.objects.get_or_create(app_label="wagtailcore", model="groupapprovaltask")
    task = GroupApprovalTask.objects.filter(name=TASK_NAME).first()
    if task is None:
        task = GroupApprovalTask.objects.create(name=TASK_NAME, content_type=task_type, active=True)
    task.groups.set(groups)
    workflow = Workflow.objects.filter(name=WORKFLOW_NAME).first()
    if workflow is None:
        workflow = Workflow.objects.create(name=WORKFLOW_NAME, active=True)
        WorkflowTask.objects.create(workflow=workflow, task=task, sort_order=0)
    if index is not None:
        WorkflowPage.objects.update_or_create(page=index, defaults={"workflow": workflow})
        for group in groups:
            GroupPagePermission.objects.get_or_create(group=group, page=index, permission=publish_page)


def backwards(apps, schema_editor):
    Group = apps.get_model("auth.Group")
    GroupPagePermission = apps.get_model("wagtailcore.GroupPagePermission")
    GroupApprovalTask = apps.get_model("wagtailcore.GroupApprovalTask")
    Workflow = apps.get_model("wagtailcore.Workflow")
    groups = Group.objects.filter(name__in=MODERATOR_GROUPS)
    GroupPagePermission.objects.filter(
        group__in=groups, page__content_type__app_label="cms", permission__codename="publish_page"
    ).delete()
    Workflow.objects.filter(name=WORKFLOW_NAME).delete()
    GroupApprovalTask.objects.filter(name=TASK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("cms", "0003_noticeindexpage_noticepage_noticerequest"),
        ("marketplace", "0002_default_data"),
        ("wagtailadmin", "0006_formstate"),
        ("wagtailcore", "0098_apitoken"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
