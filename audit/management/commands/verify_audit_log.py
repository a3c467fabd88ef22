"""verify_audit_log: walk the audit chain and name the first event that does not match.

Exit status 0 when every event's hash matches its content, every ``previous_hash`` is the hash of the
event before (the first event's is ``GENESIS_HASH``) and the sequence runs 1, 2, 3 … without a gap;
1 otherwise, with the first broken event on stderr. Events are streamed, so the log may be any size.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from audit.models import GENESIS_HASH, AuditEvent

CHUNK = 2000


@dataclass
class ChainCheck:
    """How far the chain held: the events that matched, the last of them, and the first problem if any."""

    count: int = 0
    last: AuditEvent | None = None
    problem: str = ""


def chain_check(events: Iterable[AuditEvent]) -> ChainCheck:
    """Walk ``events`` (in sequence order) and stop at the first one that does not match."""
    check = ChainCheck()
    for event in events:
        previous = check.last
        expected = previous.sequence + 1 if previous else 1
        where = f"audit log broken at event #{event.sequence} (id {event.pk})"
        if event.sequence != expected:
            jump = f"sequence jumps from #{previous.sequence} to" if previous else "the log starts at"
            check.problem = f"event #{expected} missing: {jump} #{event.sequence}"
        elif event.compute_hash() != event.hash:
            check.problem = f"{where}: its hash does not match its content"
        elif event.previous_hash != (previous.hash if previous else GENESIS_HASH):
            before = f"event #{previous.sequence}" if previous else "the genesis hash"
            check.problem = f"{where}: previous_hash does not match {before}"
        if check.problem:
            return check
        check.count += 1
        check.last = event
    return check


class Command(BaseCommand):
    help = "Check the audit trail's hash chain; exit 1 naming the first event that was changed, removed or forged."

    def handle(self, *args: Any, **options: Any) -> None:
        check = chain_check(AuditEvent.objects.order_by("sequence").iterator(chunk_size=CHUNK))
        if check.problem:
            raise CommandError(check.problem, returncode=1)
        events = f"{check.count} event{'' if check.count == 1 else 's'}"
        if check.last is None:
            self.stdout.write(f"audit log intact: {events}")
        else:
            self.stdout.write(f"audit log intact: {events}, last #{check.last.sequence} hash {check.last.hash}")
