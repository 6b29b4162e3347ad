"""JSON from strangers, parsed within bounds: size, nesting depth and number length are checked
before or while parsing, so junk is refused with a message instead of exhausting the stack or the CPU."""

from __future__ import annotations

import json
import math
from typing import Any

from django.utils.translation import gettext as _

MAX_BYTES = 1024 * 1024
MAX_DEPTH = 32
MAX_NUMBER_CHARS = 40


class JsonRefused(ValueError):
    """The text is not JSON this site will read; ``str()`` says why, for people."""


def _depth(text: str) -> int:
    """The deepest nesting of arrays and objects, outside strings (a linear scan, no recursion)."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def _number(kind: type) -> Any:
    def parse(token: str):
        if len(token) > MAX_NUMBER_CHARS:
            raise JsonRefused(_("数字过长（超过 %(n)d 位）。") % {"n": MAX_NUMBER_CHARS})
        value = kind(token)
        if value in (math.inf, -math.inf):
            raise JsonRefused(_("数字超出范围：%(token)s。") % {"token": token})
        return value

    return parse


def _constant(token: str):
    raise JsonRefused(_("不接受 %(token)s。") % {"token": token})


def bounded_loads(text: str, *, max_bytes: int = MAX_BYTES, max_depth: int = MAX_DEPTH) -> Any:
    """``json.loads`` refusing texts over ``max_bytes``, nested deeper than ``max_depth``, numbers
    longer than ``MAX_NUMBER_CHARS`` and NaN/Infinity; every refusal is a ``JsonRefused``."""
    if len(text.encode("utf-8")) > max_bytes:
        raise JsonRefused(_("内容过大：上限为 %(kb)d KB。") % {"kb": max_bytes // 1024})
    if _depth(text) > max_depth:
        raise JsonRefused(_("嵌套层级过深（超过 %(n)d 层）。") % {"n": max_depth})
    try:
        return json.loads(text, parse_int=_number(int), parse_float=_number(float), parse_constant=_constant)
    except json.JSONDecodeError as exc:
        raise JsonRefused(
            _("不是有效的 JSON（第 %(line)d 行第 %(col)d 列）：%(msg)s")
            % {"line": exc.lineno, "col": exc.colno, "msg": exc.msg}
        )
