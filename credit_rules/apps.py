from django.apps import AppConfig


class CreditRulesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "credit_rules"
    verbose_name = "信用"
