"""The Celery application. Eager with no broker (see settings); a worker and beat otherwise."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

app = Celery("zjcs")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def reminder_schedule(sender: Celery, **kwargs) -> None:
    """The reminder sweep joins the periodic sweeps of the settings: before each deadline that costs
    credit, the people who must act are told (lead times: ``ZJCS_REMINDER_LEAD_HOURS``)."""
    seconds = float(os.environ.get("ZJCS_REMINDER_SECONDS", os.environ.get("ZJCS_SWEEP_SECONDS", "60")))
    sender.conf.beat_schedule.setdefault(
        "reminders-sweep", {"task": "workflows.tasks.reminders_sweep", "schedule": seconds}
    )
