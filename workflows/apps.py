from django.apps import AppConfig


class WorkflowsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "workflows"
    verbose_name = "业务流程"

    def ready(self) -> None:
        """In demo mode a Celery worker brings itself to the shared demo time before each task."""
        from celery.signals import task_prerun

        from .clock import task_prerun_sync

        task_prerun.connect(task_prerun_sync, weak=False, dispatch_uid="workflows.demo_clock")
