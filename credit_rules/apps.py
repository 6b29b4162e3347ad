from django.apps import AppConfig


class CreditRulesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "credit_rules"
    verbose_name = "信用"

    def ready(self) -> None:
        from . import signals  # noqa: F401  # connects the cache invalidation receivers
