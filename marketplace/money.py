"""Amounts of money as people type them: to the cent, no more, no less clear than a bank form.

One parser for every amount the platform takes (quotes, budgets, bands, payments, caps): full-width
digits and thousands separators are accepted; more than two decimals, exponents, NaN, infinities,
negative amounts and more digits than the column holds are refused with a message for people.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

# Digits, one optional point and up to any decimals (checked below to say "two at most" clearly);
# thousands separators only in groups of three.
AMOUNT_RE = re.compile(r"^(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$")


class MoneyError(ValueError):
    """An amount refused: ``code`` names the problem, ``str()`` says it in the active language."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        super().__init__(message)


def money_parse(raw: object, *, label: str = "", max_digits: int = 14, decimal_places: int = 2) -> Decimal:
    """The amount ``raw`` (as typed) to the cent, or ``MoneyError`` with a message naming ``label``."""
    label = label or _("金额")
    text = unicodedata.normalize("NFKC", str(raw if raw is not None else "")).strip().replace(" ", "")
    text = text.replace("，", ",").replace("。", ".")
    if not text:
        raise MoneyError("required", _("请填写%(label)s。") % {"label": label})
    if text.startswith("-"):
        raise MoneyError("negative", _("%(label)s不能为负数。") % {"label": label})
    if not AMOUNT_RE.match(text):
        raise MoneyError("invalid", _("%(label)s须为数字，例如 65000 或 65,000.00。") % {"label": label})
    try:
        amount = Decimal(text.replace(",", ""))
    except InvalidOperation:  # pragma: no cover - the pattern admits only decimals
        raise MoneyError("invalid", _("%(label)s须为数字，例如 65000 或 65,000.00。") % {"label": label}) from None
    if not amount.is_finite():  # pragma: no cover - the pattern admits no NaN or infinity
        raise MoneyError("invalid", _("%(label)s须为数字，例如 65000 或 65,000.00。") % {"label": label})
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > decimal_places:
        raise MoneyError(
            "max_decimal_places",
            _("%(label)s最多保留 %(places)s 位小数（精确到分），现在是 %(value)s。")
            % {"label": label, "places": decimal_places, "value": text},
        )
    # Digits before the point, from the exponent of the leading digit (no int(): a 5,000-digit amount would
    # exceed Python's limit on converting integers to text).
    whole = max(0, amount.adjusted() + 1) if amount else 0
    if whole > max_digits - decimal_places:
        raise MoneyError(
            "max_whole_digits",
            _("%(label)s过大：整数部分最多 %(digits)s 位。") % {"label": label, "digits": max_digits - decimal_places},
        )
    return amount.quantize(Decimal(1).scaleb(-decimal_places))
