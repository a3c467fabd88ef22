"""A batch, its chunks (one task each) and, for the "check" kind, the result of every claim.

A chunk's input is stored in the database, not in MEDIA: every worker on any machine that shares the
database can run any chunk, with no shared file system. Nothing here is ever put in a URL or a log line
but primary keys and counts.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse

from claims.choices import Risk

from .choices import BatchKind, BatchStatus, ChunkStatus


class Batch(models.Model):
    kind = models.CharField(max_length=20, choices=BatchKind.choices)
    status = models.CharField(max_length=10, choices=BatchStatus.choices, default=BatchStatus.QUEUED)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="batches")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    file_name = models.CharField(max_length=255, blank=True)
    file_size = models.PositiveBigIntegerField(default=0)
    file_sha256 = models.CharField(max_length=64, blank=True)
    item_count = models.PositiveIntegerField(default=0, help_text="Claims in the file.")
    params = models.JSONField(default=dict, blank=True, help_text="What the kind's handler needs for every chunk.")
    error = models.TextField(blank=True, help_text="Why the batch failed, in words for the billing team.")

    class Meta:
        verbose_name_plural = "batches"
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["created_by", "-created_at"])]

    def __str__(self) -> str:
        return f"Batch {self.pk} ({self.get_kind_display()})"

    def get_absolute_url(self) -> str:
        return reverse("batches:batch_detail", args=[self.pk])

    @property
    def is_finished(self) -> bool:
        return self.status in (BatchStatus.DONE, BatchStatus.FAILED)


class Chunk(models.Model):
    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="chunks")
    number = models.PositiveIntegerField(help_text="1, 2, … in the order of the file.")
    first_position = models.PositiveIntegerField(help_text="Position in the file of the chunk's first item (1-based).")
    item_count = models.PositiveIntegerField()
    input = models.JSONField(help_text="The chunk's items as uploaded.")
    status = models.CharField(max_length=10, choices=ChunkStatus.choices, default=ChunkStatus.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    task_id = models.CharField(max_length=64, blank=True, help_text="The last task that ran or will run it.")
    summary = models.JSONField(default=dict, blank=True, help_text="What the handler reported (e.g. releases).")
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["batch", "number"]
        constraints = [models.UniqueConstraint(fields=["batch", "number"], name="batches_chunk_number_unique")]

    def __str__(self) -> str:
        return f"Chunk {self.number} of batch {self.batch_id}"


class ClaimResult(models.Model):
    """One claim of a "check" batch: its id in the file, risk and findings (the scrub format's output)."""

    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="claim_results")
    chunk = models.ForeignKey(Chunk, on_delete=models.CASCADE, related_name="claim_results")
    position = models.PositiveIntegerField(help_text="Position of the claim in the file (1-based).")
    claim_id = models.TextField(help_text="The claim's id in the file (any length the scrub format allows).")
    risk = models.CharField(max_length=10, choices=Risk.choices)
    finding_count = models.PositiveIntegerField(default=0)
    findings = models.JSONField(default=list)
    unchecked = models.JSONField(default=list, blank=True)
    unchecked_checks = models.JSONField(
        default=list,
        blank=True,
        help_text="The checks that did not run, and why (the scrub format's unchecked_checks).",
    )

    class Meta:
        ordering = ["batch", "position"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "position"], name="batches_claimresult_position_unique")
        ]
        indexes = [models.Index(fields=["batch", "risk"])]

    def __str__(self) -> str:
        return f"{self.claim_id} (batch {self.batch_id})"

    def get_absolute_url(self) -> str:
        return reverse("batches:result_detail", args=[self.batch_id, self.pk])

    def as_dict(self) -> dict:
        """The claim as the scrub format's output gives it."""
        data = {"id": self.claim_id, "risk": self.risk, "findings": self.findings}
        if self.unchecked:
            data["unchecked"] = self.unchecked
        if self.unchecked_checks:
            data["unchecked_checks"] = self.unchecked_checks
        return data


class ResultFinding(models.Model):
    """One finding of a claim result, by rule: what the results page counts and filters on."""

    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="result_findings")
    result = models.ForeignKey(ClaimResult, on_delete=models.CASCADE, related_name="rule_hits")
    rule = models.CharField(max_length=40)
    severity = models.CharField(max_length=10)
    line = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["batch", "rule"])]

    def __str__(self) -> str:
        return f"{self.rule} on {self.result_id}"
