"""The Celery application. Eager with no broker (see settings); a worker and beat otherwise."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

app = Celery("zjcs")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
