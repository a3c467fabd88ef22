"""Tables of the edi pages: the claims an export may send (with a tick box each) and the 837P files written."""

from __future__ import annotations

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html

from claims.models import Claim

from .models import Interchange, InterchangeClaim

PER_PAGE = 50


class ExportClaimTable(tables.Table):
    claims = tables.CheckBoxColumn(
        accessor="pk",
        attrs={
            "input": {"class": "form-check-input js-select-row", "form": "export-form"},
            "th__input": {"class": "form-check-input js-select-all", "aria-label": "Tick every claim of this page",
                          "hidden": True},
        },
    )
    number = tables.Column(accessor="pk", verbose_name="Claim")
    patient = tables.Column(accessor="patient_last_name", verbose_name="Patient", orderable=False)
    payer = tables.Column(accessor="payer__name", verbose_name="Payer")
    date_of_service = tables.DateColumn(verbose_name="Date of service", format="m/d/Y",
                                        order_by=("date_of_service", "pk"))
    status = tables.Column(verbose_name="Status", orderable=False)
    frequency_code = tables.Column(verbose_name="Resubmission (22)", orderable=False)
    total = tables.Column(verbose_name="Total charge", orderable=False,
                          attrs={"td": {"class": "text-end"}, "th": {"class": "text-end"}})

    class Meta:
        model = Claim
        fields = ()
        sequence = ("claims", "number", "patient", "payer", "date_of_service", "status", "frequency_code", "total")
        order_by = "date_of_service"
        per_page = PER_PAGE
        empty_text = "No ready or approved claims match these filters."
        attrs = {"class": "table table-sm table-hover align-middle", "data-testid": "export-table"}
        row_attrs = {"data-claim": lambda record: record.pk}

    def render_claims(self, value, record):
        return format_html(
            '<input type="checkbox" name="claims" value="{}" class="form-check-input js-select-row" form="export-form"'
            ' aria-label="Tick {}">', value, record.number)

    def render_number(self, record):
        return format_html('<a class="code-mono" href="{}">{}</a>', record.get_absolute_url(), record.number)

    def render_patient(self, record):
        return record.patient_name

    def render_status(self, record):
        return "Approved" if record.status == "reviewed" else record.get_status_display()

    def render_frequency_code(self, record):
        label = record.get_frequency_code_display()
        if record.original_reference and record.frequency_code != "1":
            return f"{label} (of {record.original_reference})"
        return label

    def render_total(self, value):
        return f"${value:,.2f}"


class InterchangeTable(tables.Table):
    file_name = tables.Column(linkify=("edi:interchange_detail", [tables.A("pk")]), verbose_name="File")
    clearinghouse = tables.Column(accessor="clearinghouse__name", verbose_name="Clearinghouse")
    control_number = tables.Column(verbose_name="ISA13")
    group_control_number = tables.Column(verbose_name="GS06")
    claim_count = tables.Column(verbose_name="Claims")
    usage = tables.Column(verbose_name="Usage")
    created_at = tables.DateTimeColumn(verbose_name="Written", format="m/d/Y H:i")
    created_by = tables.Column(accessor="created_by__username", verbose_name="By", orderable=False)

    class Meta:
        model = Interchange
        fields = ()
        sequence = ("file_name", "clearinghouse", "control_number", "group_control_number", "claim_count", "usage",
                    "created_at", "created_by")
        order_by = "-created_at"
        per_page = PER_PAGE
        empty_text = "No 837P files written yet."
        attrs = {"class": "table table-sm table-hover align-middle", "data-testid": "interchange-table"}

    def render_control_number(self, value):
        return f"{value:09d}"


class InterchangeClaimTable(tables.Table):
    number = tables.Column(accessor="claim_id", verbose_name="Claim")
    patient_control_number = tables.Column(verbose_name="Patient control number (CLM01)")
    payer = tables.Column(accessor="claim__payer__name", verbose_name="Payer")
    date_of_service = tables.DateColumn(accessor="claim__date_of_service", verbose_name="Date of service",
                                        format="m/d/Y")
    frequency_code = tables.Column(verbose_name="Resubmission (22)")
    status = tables.Column(accessor="claim__status", verbose_name="Status now")

    class Meta:
        model = InterchangeClaim
        fields = ()
        sequence = ("number", "patient_control_number", "payer", "date_of_service", "frequency_code", "status")
        orderable = False
        attrs = {"class": "table table-sm align-middle", "data-testid": "interchange-claims"}

    def render_number(self, record):
        return format_html('<a class="code-mono" href="{}">{}</a>',
                           reverse("claims:claim_detail", args=[record.claim_id]), record.claim.number)

    def render_status(self, record):
        return record.claim.get_status_display()
