"""Search text for Chinese notices: the search backends split words on spaces, which Chinese has none of.

Wagtail's database backend (SQLite FTS5, PostgreSQL tsvector) treats a run of Chinese characters as
one word, so "评估" would never find "惠州测试评估咨询有限公司". Notices therefore index their text
as overlapping character pairs (bigrams) plus single characters, and a query is cut the same way
and searched with AND: "评估咨询" must contain 评估, 估咨 and 咨询. Latin letters and digits (USCCs,
project codes) stay as they are.
"""

from __future__ import annotations

import re

# CJK Unified Ideographs and Extension A, plus the compatibility block: the characters of Chinese text.
_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_WORD = re.compile(r"[0-9A-Za-z]+")


def _tokens(text: str, *, unigrams: bool) -> list[str]:
    tokens: list[str] = []
    for match in re.finditer(rf"{_CJK_RUN.pattern}|{_WORD.pattern}", text):
        run = match.group(0)
        if not _CJK_RUN.fullmatch(run) or len(run) == 1:
            tokens.append(run)
        else:
            if unigrams:
                tokens.extend(run)
            tokens.extend(run[i : i + 2] for i in range(len(run) - 1))
    return tokens


def search_grams(text: str) -> str:
    """The indexable form of a text: single characters and bigrams of every Chinese run, other words kept."""
    return " ".join(dict.fromkeys(_tokens(text, unigrams=True)))


def search_query(text: str) -> str:
    """The query form of what a person typed: bigrams of Chinese runs (one character stays one), words kept."""
    return " ".join(dict.fromkeys(_tokens(text, unigrams=False)))
