"""The public pages' read functions (workflows.selectors.public) that are pure: the months a statistics
window covers."""

import datetime

from django.utils import timezone

from workflows.selectors.statistics import months_back


def test_months_back_crosses_the_year():
    now = timezone.make_aware(datetime.datetime(2026, 2, 10, 12))
    months = months_back(now, 12)
    assert months[0] == datetime.date(2025, 3, 1) and months[-1] == datetime.date(2026, 2, 1)
    assert len(set(months)) == 12
