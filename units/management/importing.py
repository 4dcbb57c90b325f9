"""What the file-import commands share (``import_units``, ``import_rearrangement``):
``FILE [--dry-run] [--user USERNAME]``, the file read and the user looked up, and a plan with bad
rows listed on stderr row by row before the command fails with nothing written."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from units.exchange.imports import ImportFileError


class FileImportCommand(BaseCommand):
    file_help = "The .xlsx file."

    def add_arguments(self, parser):
        parser.add_argument("file", help=self.file_help)
        parser.add_argument("--dry-run", action="store_true", help="Check and report, write nothing.")
        parser.add_argument(
            "--user", help="Check the scope as this user (an administrator of a subtree); default: no limit."
        )

    def load(self, file: str, user: str | None, read_upload: Callable[[str, bytes], Any]) -> tuple[Any, Any]:
        """The rows ``read_upload`` reads from ``file`` and the acting user (None: no limit)."""
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"No such file: {file}")
        actor = None
        if user:
            try:
                actor = get_user_model().objects.get(username=user)
            except get_user_model().DoesNotExist:
                raise CommandError(f"No such user: {user}") from None
        try:
            return read_upload(path.name, path.read_bytes()), actor
        except ImportFileError as e:
            raise CommandError(str(e)) from None

    def refuse_if_bad(self, plan) -> None:
        """Every bad row of ``plan`` on stderr, then fail: nothing was written."""
        if plan.ok:
            return
        for error in plan.errors:
            self.stderr.write(_("Row %(row)s: %(message)s") % {"row": error.row, "message": error.message})
        raise CommandError(
            _("%(count)s rows have errors; nothing was written.") % {"count": len(plan.error_rows())}
        )
