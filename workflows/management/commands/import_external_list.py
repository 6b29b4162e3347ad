"""``manage.py import_external_list <path>``: import an external dishonesty list (CSV or JSON), all or nothing."""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from credit_rules.external import ImportRejected
from workflows.services.credit.external import external_list_import


class Command(BaseCommand):
    help = "Import an external dishonesty list (uscc,name,reason,source,listed_on,delisted_on); nothing on any bad row."

    def add_arguments(self, parser):
        parser.add_argument("path", help="a .csv (UTF-8, header row) or .json (array of objects) file")
        parser.add_argument("--user", help="username recorded as the importer (default: the system)")

    def handle(self, *args, path: str, user: str | None = None, **options):
        """Import the file and print the same report as the supervisor's page; exit non-zero if rejected."""
        file = Path(path)
        if not file.is_file():
            raise CommandError(f"no such file: {path}")
        actor = None
        if user:
            actor = get_user_model().objects.filter(username=user).first()
            if actor is None:
                raise CommandError(f"no such user: {user}")
        try:
            batch, affected = external_list_import(content=file.read_bytes(), filename=file.name, actor=actor)
        except ImportRejected as exc:
            for error in exc.errors:
                self.stderr.write(str(error))
            raise CommandError(f"{len(exc.errors)} error(s) in {file.name}: nothing was imported.")
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {batch.rows} row(s) from {batch.filename}; {affected} agencies on the platform affected (suspended or restored)."
            )
        )
        self.stdout.write(f"sha256 {batch.sha256}")
