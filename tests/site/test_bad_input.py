"""Bad input never answers 500: out-of-range dates, junk JSON, huge numbers get a message instead."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

EXTREME_DATES = ["0001-01-01", "9999-12-31", "1899-12-31", "2100-01-01"]


@pytest.mark.parametrize("value", EXTREME_DATES)
@pytest.mark.parametrize(
    ("url_name", "params"),
    [("notice-list", ("date_from", "date_to")), ("project-search", ("published_from", "published_to"))],
)
def test_public_date_filters_refuse_dates_out_of_range_with_a_message(client, url_name, params, value):
    for param in params:
        response = client.get(reverse(url_name), {param: value})
        assert response.status_code == 200, (param, value)
        assert "日期应在 2000-01-01 至 2099-12-31 之间。" in response.content.decode()


def test_a_date_inside_the_range_still_filters(client):
    response = client.get(reverse("notice-list"), {"date_from": "2026-01-01", "date_to": "2026-12-31"})
    assert response.status_code == 200
    assert "日期应在" not in response.content.decode()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[" * 50_000 + "]" * 50_000, "嵌套层级过深"),
        ('{"version": 1, "pool": [' + "9" * 5000 + "]}", "数字过长"),
        ('{"version": 1, "n": 1e999999}', "数字超出范围"),
        ('{"version": NaN}', "不接受 NaN"),
        ('{"pool": ["' + "x" * (1024 * 1024 + 10) + '"]}', "内容过大"),
        ("[1, 2,", "不是有效的 JSON"),
        ('"just a string"', "证明格式"),
        ('{"version": [1, {"a": []}]}', "版本未知"),
    ],
    ids=["deep", "long-int", "huge-exponent", "nan", "oversized", "truncated", "string", "odd-version"],
)
def test_draw_verification_refuses_junk_json_with_a_message(client, text, message):
    response = client.post(reverse("draw-verify"), {"proof_text": text})
    assert response.status_code == 200
    assert message in response.content.decode()


def test_draw_verification_still_reads_a_real_proof_shape(client):
    # A well-formed but wrong proof reaches the verifier and is judged, not refused as junk.
    proof = {"version": 1, "project_code": "ZJCS-2026-000001", "pool": [], "secret": "00" * 32}
    response = client.post(reverse("draw-verify"), {"proof_text": json.dumps(proof)})
    assert response.status_code == 200
    assert "嵌套层级过深" not in response.content.decode()


@pytest.mark.parametrize("value", ["9" * 400, "-" + "9" * 30, "9223372036854775808"])
def test_a_choice_of_an_id_past_the_databases_integers_is_refused_not_a_500(value):
    from django import forms as django_forms

    from marketplace.forms import PlainForm
    from marketplace.models import ServiceCategory

    class Choose(PlainForm):
        one = django_forms.ModelChoiceField(queryset=ServiceCategory.objects.all())
        many = django_forms.ModelMultipleChoiceField(queryset=ServiceCategory.objects.all())

    form = Choose({"one": value, "many": [value]})
    assert not form.is_valid()
    assert set(form.errors) == {"one", "many"}
    # a real id still chooses
    category = ServiceCategory.objects.first()
    assert Choose({"one": str(category.pk), "many": [str(category.pk)]}).is_valid()


def test_a_search_term_past_sqlites_pattern_limit_is_cut_not_a_500(client):
    from tests.factories import supervisor_user

    client.force_login(supervisor_user(all_regions=True, all_categories=True))
    response = client.get(reverse("supervisor-event-new"), {"q": "\x80\u0800" * 10_000})
    assert response.status_code == 200


@pytest.mark.parametrize("value", ["\x00", "91441302" + "\x00" * 10, "x" * 400])
def test_a_supervisor_naming_no_possible_uscc_gets_the_form_back_not_a_500(client, value):
    # PostgreSQL refuses a NUL in a query: the chosen agency is looked up only for something shaped like a USCC
    from tests.factories import supervisor_user

    client.force_login(supervisor_user(all_regions=True, all_categories=True))
    response = client.post(reverse("supervisor-event-new"), {"agency": value, "code": "WARNING"})
    assert response.status_code == 200
