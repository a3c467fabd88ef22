"""The batch list and a batch's claim results (django-tables2 declarations)."""

from __future__ import annotations

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html

from claims.tables import RISK_ORDER, rank_by

from .models import Batch, ClaimResult

PER_PAGE = 25


class BatchTable(tables.Table):
    pk = tables.Column(verbose_name="Batch", linkify=True)
    kind = tables.Column(verbose_name="Kind")
    file_name = tables.Column(verbose_name="File")
    item_count = tables.Column(verbose_name="Claims")
    status = tables.Column(verbose_name="Status")
    created_by = tables.Column(accessor="created_by__username", verbose_name="By", order_by="created_by__username")
    created_at = tables.DateTimeColumn(verbose_name="Started", format="m/d/Y H:i")
    results = tables.Column(empty_values=(), verbose_name="Results", orderable=False)

    class Meta:
        model = Batch
        fields = ()
        sequence = ("pk", "kind", "file_name", "item_count", "status", "created_by", "created_at", "results")
        empty_text = "No batches yet: check a file of claims to start one."
        attrs = {"data-testid": "batch-table"}

    def render_status(self, record: Batch):
        return format_html('<span data-status="{}">{}</span>', record.status, record.get_status_display())

    def render_results(self, record: Batch):
        if record.status != "done":
            return "—"
        return format_html('<a href="{}">Results</a>', reverse("batches:batch_results", args=[record.pk]))


class ClaimResultTable(tables.Table):
    position = tables.Column(verbose_name="#")
    claim_id = tables.Column(verbose_name="Claim", linkify=True)
    risk = tables.TemplateColumn(template_name="batches/_risk_cell.html", verbose_name="Risk")
    finding_count = tables.Column(verbose_name="Findings")
    rules = tables.Column(empty_values=(), verbose_name="Rules", orderable=False)

    class Meta:
        model = ClaimResult
        fields = ()
        sequence = ("position", "claim_id", "risk", "finding_count", "rules")
        empty_text = "No claim matches these filters."
        attrs = {"data-testid": "result-table"}

    def render_rules(self, record: ClaimResult):
        rules = sorted({finding["rule"] for finding in record.findings})
        return ", ".join(rules) or "—"

    def order_risk(self, queryset, is_descending):
        ranked = queryset.alias(risk_rank=rank_by("risk", RISK_ORDER))
        return ranked.order_by(("-" if is_descending else "") + "risk_rank", "position"), True
