"""Load the demo claims (``claims.demo``): a few hundred claims over the last months, for fictitious patients.

Needs the starter reference data and payers, the demo accounts and the demo providers (``make run`` loads
them first); says which is missing and loads nothing otherwise. Idempotent: when demo claims exist (member
IDs starting with DEMO) it says so and adds nothing. Refuses to run with DEBUG off unless --force.
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from claims import demo
from claims.services import ClaimError


class Command(BaseCommand):
    help = (
        "Load demo claims for fictitious patients (member IDs DEMO…) through the claim and review services: "
        "every status and risk, a working review queue, a dashboard with real shapes."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--count",
            type=int,
            default=demo.DEFAULT_COUNT,
            help=f"How many claims (default {demo.DEFAULT_COUNT}, at least {demo.MINIMUM_COUNT}).",
        )
        parser.add_argument("--seed", type=int, default=demo.SEED, help="Seed of the story (default %(default)s).")
        parser.add_argument("--force", action="store_true", help="Run even with DEBUG off (not for production).")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError("DEBUG is off: demo claims are for development only (use --force to insist).")
        if options["count"] < demo.MINIMUM_COUNT:
            raise CommandError(f"the demo needs at least {demo.MINIMUM_COUNT} claims to tell its stories.")
        existing = demo.demo_claims().count()
        if existing:
            self.stdout.write(f"demo claims already loaded: {existing} claims")
            return
        started = time.monotonic()
        try:
            demo.prerequisites()
            self.stdout.write(f"loading {options['count']} demo claims …")
            summary = demo.load(options["count"], seed=options["seed"])
        except demo.DemoUnavailable as error:
            raise CommandError(f"demo claims not loaded: {error}") from error
        except ClaimError as error:  # a service refused a step of the story: nothing was kept
            raise CommandError(f"demo claims not loaded, a step was refused: {error}") from error
        self.stdout.write(f"{summary.text()} ({time.monotonic() - started:.1f} s)")
