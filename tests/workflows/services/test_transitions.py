"""The transition runner's reload (workflows.services.transitions.row_reload): it sees another copy's
transition and never touches django-fsm's class-wide ``protected`` flag."""

from __future__ import annotations

import pytest

from workflows.models import Membership
from workflows.services.transitions import row_reload, transition_run

pytestmark = pytest.mark.django_db

State = Membership.State


def test_row_reload_sees_another_copys_transition_without_touching_the_state_fields_guard(member, monkeypatch):
    # django-fsm's refresh_from_db switches the state field's class-wide ``protected`` flag off and
    # on, which races with transitions in other threads; row_reload must not write it at all.
    agency, membership, user = member
    field = Membership._meta.get_field("state")
    writes = []
    original = type(field).__setattr__

    def spy(self, name, value):
        if name == "protected":
            writes.append(value)
        original(self, name, value)

    monkeypatch.setattr(type(field), "__setattr__", spy)
    assert membership.agency == agency  # a cached relation, dropped by the reload
    other = Membership.objects.get(pk=membership.pk)
    assert transition_run(obj=other, name="suspend", params={"until": None}).ok
    assert row_reload(membership) is membership
    assert membership.state == State.SUSPENDED
    assert "agency" not in membership._state.fields_cache
    assert writes == [] and field.protected is True
    membership.refresh_from_db()  # the library's way, for contrast: it does write the flag
    assert writes == [False, True]
