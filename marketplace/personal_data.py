"""One guard for every free text that can become public: no personal data of natural persons.

Public notices, project announcements, cancel reasons, decisions and rating comments are published as
written, so a text is refused — with a message naming what was found — when it carries a mobile number,
a resident identity card number (its check digit verified), a bank card number (its Luhn digit verified)
or an e-mail address. Organisations' identifiers (a USCC) and landline numbers pass.
"""

from __future__ import annotations

import datetime
import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .validators import uscc_problem

MOBILE_RE = re.compile(r"(?<![\d])(?:\+?86[\s-]?)?1[3-9]\d(?:[\s-]?\d{4}){2}(?![\d])")
ID_CARD_RE = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
CARD_RE = re.compile(r"(?<![\d])(?:\d[\s-]?){12,18}\d(?![\d])")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def resident_id_valid(number: str) -> bool:
    """A resident identity card number (GB 11643): a real birth date and the ISO 7064 MOD 11-2 check."""
    number = number.upper()
    try:
        datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return False
    total = sum(int(digit) * weight for digit, weight in zip(number[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == number[17]


def luhn_valid(digits: str) -> bool:
    """The Luhn check that every bank card number carries."""
    total = 0
    for i, char in enumerate(reversed(digits)):
        n = int(char)
        if i % 2:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def personal_data_found(text: str) -> list[str]:
    """What kinds of a natural person's data ``text`` seems to carry, in words for people (empty: none)."""
    text = text or ""
    found: list[str] = []
    ids = [m for m in ID_CARD_RE.findall(text) if resident_id_valid(m) and uscc_problem(m.upper()) is not None]
    if ids:
        found.append(_("身份证号码"))
    if MOBILE_RE.search(text):
        found.append(_("手机号码"))
    for match in CARD_RE.findall(text):
        digits = re.sub(r"\D", "", match)
        if 13 <= len(digits) <= 19 and luhn_valid(digits) and not any(digits in re.sub(r"\D", "", i) for i in ids):
            found.append(_("银行卡号"))
            break
    if EMAIL_RE.search(text):
        found.append(_("电子邮箱"))
    return found


def personal_data_problem(text: str) -> str | None:
    """The message refusing ``text`` for publication, naming what was found; None when it is clean."""
    found = personal_data_found(text)
    if not found:
        return None
    return _("该内容将公开发布，其中似乎含有自然人的%(what)s，请删除后再提交。") % {"what": _("、").join(found)}


def validate_public_text(text: str) -> None:
    """Form and model validator: refuses a public text that carries a person's data."""
    problem = personal_data_problem(text)
    if problem:
        raise ValidationError(problem, code="personal_data")
