"""Re-verify a draw proof: a project's stored proof, or a downloaded proof file without the database."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from workflows import draw


class Command(BaseCommand):
    help = "Re-verify a draw proof (specified in docs/draw.md): verify_draw <project_code>, or verify_draw --file proof.json. Exit 0 when valid, 1 when not."

    def add_arguments(self, parser):
        parser.add_argument("code", nargs="?", help="project code whose stored proof to verify")
        parser.add_argument("--file", help="a downloaded proof JSON file to verify (no database needed)")
        parser.add_argument(
            "--commitment", help="with --file: the commitment published in the announcement, to compare"
        )

    def handle(self, *args, code=None, file=None, commitment=None, **options):
        if bool(code) == bool(file):
            raise CommandError(_("请给出项目编号，或用 --file 指定证明文件（二者选一）。"))
        if file:
            proof = self._read_file(Path(file))
            result = draw.proof_verify(proof, expected_commitment=commitment or None)
        else:
            proof, result = self._verify_project(code)
        self._report(proof, result)
        if not result.ok:
            # CommandError makes manage.py exit with status 1; call_command callers see the exception.
            raise CommandError(_("抽取证明未通过验证：%(problems)s") % {"problems": "；".join(result.problems)})
        self.stdout.write(self.style.SUCCESS(_("抽取证明验证通过。")))

    def _read_file(self, path: Path):
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise CommandError(_("找不到文件：%(path)s") % {"path": path})
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise CommandError(_("文件不是有效的 UTF-8 JSON：%(error)s") % {"error": exc})

    def _verify_project(self, code: str):
        from workflows.models import Project

        project = Project.objects.filter(code=code).only("code", "draw_commitment", "draw_beacon", "draw_proof").first()
        if project is None:
            raise CommandError(_("找不到项目：%(code)s") % {"code": code})
        if not project.draw_proof:
            raise CommandError(_("项目 %(code)s 尚无抽取证明。") % {"code": code})
        result = draw.proof_verify(
            project.draw_proof,
            expected_commitment=project.draw_commitment,
            expected_project_code=project.code,
            expected_beacon=project.draw_beacon,
        )
        return project.draw_proof, result

    def _report(self, proof, result: draw.VerifyResult) -> None:
        for check in result.checks:
            mark = self.style.SUCCESS("✓") if check.ok else self.style.ERROR("✗")
            self.stdout.write(f"{mark} {check.label}")
        for problem in result.problems:
            self.stdout.write(self.style.ERROR(f"  - {problem}"))
        if not result.ranking:
            return
        names = {member["uscc"]: member["name"] for member in proof["pool"]}
        self.stdout.write(_("重新计算的排序："))
        for place, uscc in enumerate(result.ranking, start=1):
            role = _("中选") if place == 1 else _("备选 %(n)s") % {"n": place - 1}
            self.stdout.write(f"{place:>4}. {uscc}  {names.get(uscc, '')}  ({role})")
