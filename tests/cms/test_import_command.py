"""``import_notices``: the previous platform's archive becomes live notices here, once, or not at all."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from cms.models import NoticePage

from .notices import credit_payload

pytestmark = pytest.mark.django_db


def archive(tmp_path, rows) -> str:
    path = tmp_path / "archive.json"
    path.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    return str(path)


def row(key: str, **extra) -> dict:
    return {
        "kind": "warning",
        "source_key": key,
        "payload": credit_payload(name="旧平台示例咨询有限公司", uscc="91441300MA4W12345R"),
        "published_at": "2025-03-01T10:00:00+08:00",
        **extra,
    }


def test_an_archive_is_imported_once_and_listed_publicly(tmp_path, client):
    # given an archive of two notices, one of them withdrawn
    path = archive(tmp_path, [row("old:1"), row("old:2", withdrawn=True, withdrawn_reason="已修复")])

    # when it is imported twice
    out = io.StringIO()
    call_command("import_notices", path, stdout=out)
    call_command("import_notices", path, stdout=out)

    # then each notice exists once, live, with its original date, and the active one is listed
    assert NoticePage.objects.filter(source_key__startswith="old:").count() == 2
    page = NoticePage.objects.get(source_key="old:1")
    assert page.live and page.first_published_at.year == 2025
    assert "2 notices imported, 0 already here." in out.getvalue()
    assert "0 notices imported, 2 already here." in out.getvalue()
    assert page.title in client.get(reverse("notice-list")).content.decode()


@pytest.mark.parametrize(
    ("bad", "says"),
    [
        ({"kind": "gossip"}, "unknown kind"),
        ({"published_at": "2025-03-01 10:00"}, "time zone"),
        ({"published_at": "yesterday"}, "ISO 8601"),
        ({"payload": {}}, "title"),
        ({"source_key": ""}, "source_key"),
    ],
)
def test_one_bad_row_imports_nothing_and_is_named(tmp_path, bad, says):
    # given an archive whose second row is wrong
    path = archive(tmp_path, [row("old:1"), row("old:2", **bad)])

    # when it is imported, then the command names the row and nothing is written
    with pytest.raises(CommandError, match=f"notice 2: .*{says}"):
        call_command("import_notices", path, stdout=io.StringIO())
    assert not NoticePage.objects.filter(source_key__startswith="old:").exists()
