"""The imported files and one import's claims (django-tables2 declarations)."""

from __future__ import annotations

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html

from claims.tables import RISK_ORDER, rank_by

from .models import ImportedClaim, ImportedFile

PER_PAGE = 25


class ImportedFileTable(tables.Table):
    pk = tables.Column(verbose_name="Import", linkify=("imports:import_detail", [tables.A("pk")]))
    file_name = tables.Column(verbose_name="File")
    claim_count = tables.Column(verbose_name="Claims")
    line_count = tables.Column(verbose_name="Lines")
    progress = tables.Column(empty_values=(), verbose_name="Imported", orderable=False)
    imported_by = tables.Column(accessor="imported_by__username", verbose_name="By", order_by="imported_by__username")
    imported_at = tables.DateTimeColumn(verbose_name="Uploaded", format="m/d/Y H:i")

    class Meta:
        model = ImportedFile
        fields = ()
        sequence = ("pk", "file_name", "claim_count", "line_count", "progress", "imported_by", "imported_at")
        empty_text = "No 837P file imported yet."
        attrs = {"data-testid": "import-table"}

    def render_progress(self, record: ImportedFile):
        if record.batch_id and record.batch.status == "failed":
            return format_html(
                '<a href="{}" class="text-danger">{} of {}, failed</a>',
                reverse("batches:batch_detail", args=[record.batch_id]),
                record.imported,
                record.claim_count,
            )
        return f"{record.imported} of {record.claim_count}"


class ImportedClaimTable(tables.Table):
    position = tables.Column(verbose_name="#")
    claim = tables.Column(verbose_name="Claim", linkify=True, order_by="claim_id")
    patient_control_number = tables.Column(verbose_name="Account number (CLM01)")
    risk = tables.TemplateColumn(
        template_code='{% include "claims/_risk_badge.html" with risk=record.claim.risk %}',
        verbose_name="Risk",
        order_by="claim__risk",
    )
    status = tables.Column(accessor="claim__status", verbose_name="Status")
    finding_count = tables.Column(verbose_name="Findings")
    warnings = tables.Column(verbose_name="Import warnings", orderable=False)
    new_patient = tables.BooleanColumn(verbose_name="New patient")

    class Meta:
        model = ImportedClaim
        fields = ()
        sequence = (
            "position",
            "claim",
            "patient_control_number",
            "risk",
            "status",
            "finding_count",
            "warnings",
            "new_patient",
        )
        empty_text = "No claim matches these filters."
        attrs = {"data-testid": "imported-claim-table"}

    def render_status(self, record: ImportedClaim):
        return record.claim.get_status_display()

    def render_warnings(self, value):
        return len(value) if value else "—"

    def order_risk(self, queryset, is_descending):
        ranked = queryset.alias(risk_rank=rank_by("claim__risk", RISK_ORDER))
        return ranked.order_by(("-" if is_descending else "") + "risk_rank", "position"), True
