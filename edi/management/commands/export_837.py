"""Export ready and approved claims as one 837P interchange (005010X222A1) for a clearinghouse.

    manage.py export_837 (--output FILE | --background) --user USERNAME [--clearinghouse NAME]
                         [--status ready|approved]... [--payer NAME]... [--claim CLM-000123]...
                         [--from YYYY-MM-DD] [--to YYYY-MM-DD]

The claims move to *sent*, the file is stored (and can be downloaded again from the interchange's page), and
both control numbers of the clearinghouse are used up. FILE is written only when the export succeeds
('-' prints the file); with --background the claims are queued as a batch, one file per part, and each
part is exported by a background worker. Exit status: 0 exported (or queued); 1 refused (the claims are named
with what keeps them back; nothing is exported and no control number used); 2 bad input (unknown
clearinghouse, user, payer, claim number or date); 3 nothing to export.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from claims.management.commands.scrub_claims import atomic_output
from claims.models import Claim, Payer
from edi.models import Clearinghouse
from edi.selectors import APPROVED, READY, active_clearinghouses, exportable_claims
from edi.services import (
    EXPORT_PERMISSION,
    ExportError,
    ExportRefused,
    interchange_export,
    interchange_export_queue,
)

REFUSED, BAD_INPUT, NOTHING = 1, 2, 3
_CLAIM_NUMBER = re.compile(r"^(?:CLM-?)?0*(\d{1,9})$", re.IGNORECASE)


def claim_number(value: str) -> int:
    match = _CLAIM_NUMBER.match(value.strip())
    if not match:
        raise CommandError(f"--claim {value!r} is not a claim number like CLM-000123.", returncode=BAD_INPUT)
    return int(match.group(1))


def iso_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{value!r} is not a date like 2026-03-31.", returncode=BAD_INPUT) from None


class Command(BaseCommand):
    help = (
        "Export ready and approved claims as one 837P file for a clearinghouse; they move to sent. Exit status "
        "0 exported, 1 refused (nothing exported), 2 bad input, 3 nothing to export."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", "-o", help="The file to write ('-' prints it); required without --background.")
        parser.add_argument("--background", action="store_true",
                            help="Queue the export for the background workers: one file per part of the batch "
                            "(CLAIMDESK_BATCH_CHUNK_SIZE claims), downloaded from the 837P files page.")
        parser.add_argument("--user", required=True, help="User name recorded as having sent the claims.")
        parser.add_argument("--clearinghouse", help="Its name (default: the only active one).")
        parser.add_argument("--status", action="append", choices=(READY, APPROVED), default=[],
                            help="Only ready claims, or only approved ones (repeatable; default both).")
        parser.add_argument("--payer", action="append", default=[], help="Only this payer's claims (repeatable).")
        parser.add_argument("--claim", action="append", default=[],
                            help="This claim, e.g. CLM-000123 (repeatable; not with the other selections).")
        parser.add_argument("--from", dest="dos_from", metavar="YYYY-MM-DD", help="Dates of service from (YYYY-MM-DD).")
        parser.add_argument("--to", dest="dos_to", metavar="YYYY-MM-DD", help="Dates of service up to (YYYY-MM-DD).")

    def handle(self, *args, **options) -> None:
        if options["background"] and options["output"]:
            raise CommandError("--background writes no file here: leave out --output.", returncode=BAD_INPUT)
        if not options["background"] and not options["output"]:
            raise CommandError("Say where to write the file: --output FILE (or - to print it).", returncode=BAD_INPUT)
        user = self._user(options["user"])
        clearinghouse = self._clearinghouse(options["clearinghouse"])
        claims = self._claims(options)
        if not claims:
            raise CommandError("No ready or approved claims match: nothing was exported, no control number used.",
                               returncode=NOTHING)
        output = options["output"]
        if options["background"]:
            try:
                batch = interchange_export_queue(claims=claims, clearinghouse=clearinghouse, user=user)
            except ExportError as error:
                raise CommandError(str(error), returncode=REFUSED) from None
            self.stderr.write(f"Queued batch {batch.pk}: {batch.item_count} claim(s) in {batch.chunks.count()} "
                              "file(s); a background worker exports them.")
            return
        try:
            if output == "-":
                interchange = interchange_export(claims=claims, clearinghouse=clearinghouse, user=user)
                self.stdout.write(interchange.content, ending="")
            else:
                path = Path(output)
                if not path.parent.is_dir():
                    raise CommandError(f"cannot write {output}: no such directory", returncode=BAD_INPUT)
                with atomic_output(path) as handle:
                    interchange = interchange_export(claims=claims, clearinghouse=clearinghouse, user=user)
                    handle.write(interchange.content)
        except ExportRefused as error:
            raise CommandError(str(error), returncode=REFUSED) from None
        except ExportError as error:
            raise CommandError(str(error), returncode=REFUSED) from None
        except OSError as error:
            raise CommandError(f"cannot write {output}: {error.strerror or error}", returncode=BAD_INPUT) from None
        self.stderr.write(
            f"Exported {interchange.claim_count} claim(s) as {interchange.file_name} for {clearinghouse.name} "
            f"(ISA13 {interchange.control_number:09d}, GS06 {interchange.group_control_number}, "
            f"SHA-256 {interchange.sha256})."
        )

    def _user(self, username: str):
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"No active user {username!r}.", returncode=BAD_INPUT)
        if not user.has_perm(EXPORT_PERMISSION):
            raise CommandError(f"{username} may not export claims (needs {EXPORT_PERMISSION}).", returncode=BAD_INPUT)
        return user

    def _clearinghouse(self, name: str | None) -> Clearinghouse:
        if name:
            found = Clearinghouse.objects.filter(name__iexact=name).first()
            if found is None:
                raise CommandError(f"No clearinghouse {name!r}.", returncode=BAD_INPUT)
            return found
        active = list(active_clearinghouses()[:2])
        if not active:
            raise CommandError("No active clearinghouse: add one in the admin (Claims in and out).",
                               returncode=BAD_INPUT)
        if len(active) > 1:
            names = ", ".join(active_clearinghouses().values_list("name", flat=True))
            raise CommandError(f"Several active clearinghouses ({names}): say which with --clearinghouse.",
                               returncode=BAD_INPUT)
        return active[0]

    def _claims(self, options) -> list[Claim]:
        dos_from = iso_date(options["dos_from"]) if options["dos_from"] else None
        dos_to = iso_date(options["dos_to"]) if options["dos_to"] else None
        if dos_from and dos_to and dos_from > dos_to:
            raise CommandError("--from is after --to.", returncode=BAD_INPUT)
        unknown = [name for name in options["payer"] if not Payer.objects.filter(name__iexact=name).exists()]
        if unknown:
            raise CommandError(f"No payer named {', '.join(map(repr, unknown))}.", returncode=BAD_INPUT)
        ids = [claim_number(value) for value in options["claim"]]
        if ids:
            if options["status"] or options["payer"] or dos_from or dos_to:
                raise CommandError("--claim names the claims itself: leave out --status, --payer, --from and --to.",
                                   returncode=BAD_INPUT)
            found = set(Claim.objects.filter(pk__in=ids).values_list("pk", flat=True))
            absent = [f"CLM-{pk:06d}" for pk in ids if pk not in found]
            if absent:
                raise CommandError(f"No claim {', '.join(absent)}.", returncode=BAD_INPUT)
            # Named claims are exported, or refused by number with the reason: never dropped silently.
            return list(Claim.objects.filter(pk__in=ids))
        return list(exportable_claims(statuses=options["status"], payers=options["payer"], dos_from=dos_from,
                                      dos_to=dos_to))
