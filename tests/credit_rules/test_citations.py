"""Every citation is true: the code names only the real documents of ``credit_rules/citations.py``.

A made-up legal basis is worse than none. Every title between Chinese title marks anywhere in the
repository — Python (migrations included), templates, translations, Markdown (``docs/`` included) —
must be the title of one of the listed documents, and every rule, catalogue entry and measure must
name at least one. (This file writes the marks as escapes, so that it cites nothing itself.)
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from credit_rules import citations, defaults
from credit_rules.rules import REGISTRY

ROOT = Path(__file__).resolve().parents[2]
SUFFIXES = {".py", ".html", ".po", ".md", ".txt"}
SKIPPED_DIRS = {".git", ".venv", "venv", "node_modules", "staticfiles", "media", ".test-media", "__pycache__"}
OPEN, CLOSE = "\u300a", "\u300b"
TITLE = re.compile(f"{OPEN}([^{CLOSE}\n]*){CLOSE}")
# A template or message placeholder between the marks (the commitment letter's own title) is no citation.
PLACEHOLDER = re.compile(r"\{\{|\{%|%\(|\{\}|\{[a-z_]+\}")
# Adjacent string literals (a wrapped msgid of the .po, implicit concatenation in Python) are read as one.
CONTINUATION = re.compile(r'"[ \t]*\n[ \t]*[fr]?"')


def real_titles() -> set[str]:
    found = {title for document in citations.DOCUMENTS for title in TITLE.findall(document)}
    assert len(found) == len(citations.DOCUMENTS)
    return found


def texts():
    for folder, dirs, files in os.walk(ROOT):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS)
        for name in sorted(files):
            path = Path(folder, name)
            if path.suffix in SUFFIXES:
                yield path, CONTINUATION.sub("", path.read_text(encoding="utf-8", errors="replace"))


def cited_titles(text: str) -> list[str]:
    return [title for title in TITLE.findall(text) if not PLACEHOLDER.search(title)]


def test_every_title_in_the_repository_is_a_real_document():
    # given every source, migration, template, translation and document of the repository
    real = real_titles()
    # then every title between title marks in them is one of the documents listed in credit_rules/citations.py
    unknown = [
        f"{path.relative_to(ROOT)}: {title}"
        for path, text in texts()
        for title in cited_titles(text)
        if title not in real
    ]
    assert unknown == [], "cite only documents of credit_rules/citations.py:\n" + "\n".join(unknown)


def test_the_scan_sees_migrations_translations_templates_and_docs():
    scanned = {path.relative_to(ROOT).as_posix() for path, _text in texts()}
    assert {
        "credit_rules/migrations/0002_default_policy.py",
        "locale/en/LC_MESSAGES/django.po",
        "templates/credit_rules/public_policy.html",
        "docs/architecture.md",
    } <= scanned


def test_the_scan_catches_an_invented_title():
    # given a text citing a document that does not exist (spelled in pieces so this file cites none)
    invented = f"{OPEN}某某市中介超市信用管理办法{CLOSE}第九条"
    wrapped = CONTINUATION.sub("", f'msgid ""\n"{OPEN}某某市中介超市"\n"信用管理办法{CLOSE}"')
    # then it is seen, also when wrapped over two lines, and it is not a real document
    assert cited_titles(invented) == cited_titles(wrapped) == ["某某市中介超市信用管理办法"]
    assert "某某市中介超市信用管理办法" not in real_titles()
    # and placeholders are no titles
    assert cited_titles(f"已签署{OPEN}{{{{ title }}}}{CLOSE}") == cited_titles(f"{OPEN}%(title)s{CLOSE}") == []


def names_a_real_document(text: str) -> bool:
    return any(document in text for document in citations.DOCUMENTS)


def test_every_rule_names_a_real_document():
    assert REGISTRY
    missing = [code for code, rule in REGISTRY.items() if not names_a_real_document(str(rule.basis))]
    assert missing == []


def test_every_catalogue_entry_and_measure_names_a_real_document():
    assert [item.code for item in defaults.CATALOGUE if not names_a_real_document(item.basis)] == []
    assert [kind for kind, basis in defaults.MEASURE_BASIS.items() if not names_a_real_document(basis)] == []


def test_no_basis_gives_an_article_number():
    # no article number of any listed document is known for certain: none is cited
    article = re.compile(r"第[一二三四五六七八九十百零〇0-9]+条")
    bases = [str(rule.basis) for rule in REGISTRY.values()]
    bases += [item.basis for item in defaults.CATALOGUE] + list(defaults.MEASURE_BASIS.values())
    assert [basis for basis in bases if article.search(basis)] == []


def test_a_stored_basis_naming_a_dropped_document_is_restated_and_a_deployments_own_is_kept(db):
    """The 0015 migration: a catalogue entry whose basis names a document the policy no longer cites gets its
    code's current basis; a basis the deployment wrote itself stays."""
    import importlib

    from django.apps import apps

    from credit_rules.models import CatalogueEntry, PolicyVersion

    migration = importlib.import_module("credit_rules.migrations.0015_basis_cites_listed_documents")
    policy = PolicyVersion.objects.order_by("version").first()
    current = {item.code: item.basis for item in defaults.CATALOGUE}
    dropped = "\u300a" + migration.DROPPED[0] + "\u300b（国发〔2016〕76号）：建立健全政务失信记录。"
    CatalogueEntry.objects.filter(policy=policy, code="BUYER_WARNING").update(basis=dropped)
    CatalogueEntry.objects.filter(policy=policy, code="BUYER_RATING_MISSED").update(basis="本市办法第九条")

    migration.restate(apps, None)

    assert CatalogueEntry.objects.get(policy=policy, code="BUYER_WARNING").basis == current["BUYER_WARNING"]
    assert CatalogueEntry.objects.get(policy=policy, code="BUYER_RATING_MISSED").basis == "本市办法第九条"
