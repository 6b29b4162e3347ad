"""Credit data in the reader's language: recorded (Chinese) titles and bases shown in English, yes and no."""

from __future__ import annotations

import pytest
from django.utils import translation

from credit_rules.defaults import BASIS_EN, CATALOGUE, MEASURE_BASIS, MEASURE_BASIS_EN
from credit_rules.services import MEASURE_TITLES
from credit_rules.templatetags.credit_labels import basis_in_language, title_in_language, yes_no

pytestmark = pytest.mark.django_db

ITEMS = {item.code: item for item in CATALOGUE}


def test_catalogue_and_measure_titles_read_in_english_and_stay_chinese_in_chinese():
    complaint = ITEMS["QUALITY_COMPLAINT"]
    with translation.override("en"):
        assert title_in_language(complaint.name, complaint.code) == complaint.name_en
        assert title_in_language(MEASURE_TITLES["suspend"], "MEASURE_SUSPEND") == "Trading suspended"
        # a correction names its reason and the entry it refers to
        assert title_in_language(f"信用修复：{complaint.name}") == f"Credit repair: {complaint.name_en}"
    with translation.override("zh-hans"):
        assert title_in_language(complaint.name, complaint.code) == complaint.name


def test_default_bases_read_in_english_and_a_deployments_own_words_stay_as_written():
    warning = ITEMS["CREDIT_WARNING"]
    with translation.override("en"):
        assert basis_in_language(warning.basis, warning.code) == BASIS_EN["CREDIT_WARNING"]
        assert basis_in_language(MEASURE_BASIS["expel"], "", "MEASURE_EXPEL") == MEASURE_BASIS_EN["expel"]
        # the local basis a deployment adds after the national one is its own text
        assert basis_in_language(warning.basis + "；本地办法第三条", warning.code).endswith("；本地办法第三条")
        assert basis_in_language("本地自定的依据", warning.code) == "本地自定的依据"
    with translation.override("zh-hans"):
        assert basis_in_language(warning.basis, warning.code) == warning.basis


def test_every_default_catalogue_item_and_measure_has_an_english_basis():
    assert set(ITEMS) <= set(BASIS_EN)
    assert set(MEASURE_BASIS) == set(MEASURE_BASIS_EN)


def test_booleans_are_words():
    with translation.override("zh-hans"):
        assert (yes_no(True), yes_no(False)) == ("是", "否")
    with translation.override("en"):
        assert (yes_no(True), yes_no(False)) == ("Yes", "No")
