from django.apps import AppConfig


class CmsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "cms"
    verbose_name = "公告与门户"

    def ready(self) -> None:
        from . import signals  # noqa: F401  (connects the page-signal receivers)
