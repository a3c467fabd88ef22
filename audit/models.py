"""The audit trail: one append-only table of events, each chained to the one before by a SHA-256 hash.

Other apps write events through ``audit.services.event_record`` in the same transaction as the action
they record; this app imports none of them (an event names what it is about by type and id). Nothing
changes or deletes an event: the model and its queryset refuse, the admin offers neither, and on
PostgreSQL triggers refuse UPDATE and DELETE (migration 0002). ``manage.py verify_audit_log`` walks the
chain and names the first event whose hash or link does not match.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

GENESIS_HASH = "0" * 64
SYSTEM_ACTOR = "System"


class AuditEventImmutable(Exception):
    """An attempt to change or delete an audit event."""


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AuditEventImmutable("Audit events cannot be changed.")

    def delete(self):
        raise AuditEventImmutable("Audit events cannot be deleted.")

    def bulk_update(self, objs, fields, batch_size=None):
        raise AuditEventImmutable("Audit events cannot be changed.")


def canonical(value: Any) -> str:
    """The one JSON text hashed for a value: sorted keys, no spaces, UTF-8 kept as is."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


class AuditEvent(models.Model):
    """One thing that happened: who, when, what, and (for changes) each field before and after."""

    sequence = models.PositiveBigIntegerField(unique=True, editable=False, help_text="Position in the chain, 1, 2 …")
    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor_name = models.CharField(max_length=150, help_text="The actor's name when it happened.")
    action = models.CharField(max_length=40, db_index=True, help_text="What happened, e.g. claim.changed.")
    object_type = models.CharField(max_length=30, help_text="What it happened to: claim, patient, provider …")
    object_id = models.CharField(max_length=64, blank=True)
    claim_id = models.BigIntegerField(null=True, blank=True, help_text="The claim the event belongs to, if any.")
    summary = models.CharField(max_length=500, help_text="What the actor did, in plain words.")
    changes = models.JSONField(default=list, blank=True, help_text="[label, before, after] per changed field.")
    data = models.JSONField(default=dict, blank=True, help_text="Details: findings, reasons, counts …")
    previous_hash = models.CharField(max_length=64, editable=False)
    hash = models.CharField(max_length=64, unique=True, editable=False)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["sequence"]
        permissions = [("export_trail", "Can export the audit trail as CSV")]
        indexes = [
            models.Index(fields=["claim_id", "sequence"]),
            models.Index(fields=["object_type", "object_id"]),
        ]

    def __str__(self):
        return f"#{self.sequence} {self.action} {self.object_type} {self.object_id}".strip()

    # --- append only ------------------------------------------------------------------------------------
    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AuditEventImmutable("Audit events cannot be changed.")
        # Always an INSERT: a new instance given an existing id must not overwrite that event.
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditEventImmutable("Audit events cannot be deleted.")

    # --- the chain --------------------------------------------------------------------------------------
    def hashed_content(self) -> dict[str, Any]:
        """Everything an event says, as hashed: changing any of it breaks the event's hash."""
        at = self.at.astimezone(UTC) if timezone.is_aware(self.at) else self.at
        return {
            "sequence": self.sequence,
            "at": at.isoformat(timespec="microseconds"),
            "actor_id": self.actor_id,
            "actor_name": self.actor_name,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "claim_id": self.claim_id,
            "summary": self.summary,
            "changes": self.changes,
            "data": self.data,
            "previous_hash": self.previous_hash,
        }

    def compute_hash(self) -> str:
        return hashlib.sha256(canonical(self.hashed_content()).encode("utf-8")).hexdigest()

    # --- reading --------------------------------------------------------------------------------------
    def sentences(self) -> list[str]:
        """The event in plain words: "Maria Lopez changed line 2 code from 96372 to 96374", one per change."""
        if not self.changes:
            return [f"{self.actor_name} {self.summary}"]
        out = []
        for label, before, after in self.changes:
            if before in ("", None, []):
                out.append(f"{self.actor_name} set {label} to {_shown(after)}")
            elif after in ("", None, []):
                out.append(f"{self.actor_name} cleared {label} (was {_shown(before)})")
            else:
                out.append(f"{self.actor_name} changed {label} from {_shown(before)} to {_shown(after)}")
        return out


def _shown(value: Any) -> str:
    if isinstance(value, list):
        return " ".join(str(item) for item in value) or "nothing"
    return str(value)
