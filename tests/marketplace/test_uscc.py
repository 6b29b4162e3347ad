"""The unified social credit code (GB 32100-2015) in marketplace.validators: valid codes pass, bad ones
say what is wrong, codes are normalised, and the codes the tests build validate and are unique."""

import pytest

from marketplace.validators import normalise_uscc, org_code_for_serial, uscc_build, uscc_check_character, uscc_problem


@pytest.mark.parametrize(
    "code",
    [
        "91441300MA4W12345R",
        "91441300MA4W23456J",
        "91441300MA4W34567B",
        "91350100M000100Y43",  # a published example of GB 32100-2015
    ],
)
def test_valid_codes_pass(code):
    assert uscc_problem(code) is None


@pytest.mark.parametrize(
    ("code", "says"),
    [
        ("91441300MA4W12345", "18 位"),
        ("91441300MA4W12345RR", "18 位"),
        ("91441300MA4W12345S", "不允许的字符"),  # S is not in the alphabet
        ("91441300ma4w12345r", "不允许的字符"),
        ("91441300MA4W12345A", "校验位错误"),
        ("0144130OMA4W12345R", "不允许的字符"),
        ("B1441300MA4W12345R", "第 1 位"),
        ("9144A300MA4W12345R", "行政区划"),
    ],
)
def test_bad_codes_say_what_is_wrong(code, says):
    assert says in uscc_problem(code)


def test_normalise_strips_spaces_and_upper_cases():
    assert normalise_uscc(" 9144 1300ma4w12345r ") == "91441300MA4W12345R"


def test_built_codes_validate_and_are_unique():
    codes = {uscc_build(region_code="441302", org_code=org_code_for_serial(n)) for n in range(5000)}
    assert len(codes) == 5000
    assert all(uscc_problem(c) is None for c in codes)


def test_check_character_of_test_vector():
    assert uscc_check_character("91441300MA4W12345") == "R"
