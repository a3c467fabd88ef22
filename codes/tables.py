"""Tables of the code look-up pages (django-tables2 declarations)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from .choices import CodeSystem, PTPModifierIndicator
from .models import AddOnEdit, NDCCrosswalk, ProcedureCode, PTPEdit
from .selectors import CodeSetCoverage


@dataclass(frozen=True)
class CodeStatus:
    key: str  # active / terminated / not_yet
    text: str
    icon: str
    css: str

    def badge(self) -> str:
        return format_html(
            '<span class="badge status-badge text-bg-{}"><i class="bi {}" aria-hidden="true"></i> {}</span>',
            self.css,
            self.icon,
            self.text,
        )


def code_status(code: ProcedureCode, on: date, *, doubt: str = "") -> CodeStatus:
    """Whether a code is active, terminated or not yet effective on a date, in words (never colour alone).

    ``doubt`` (``CodeSetCoverage.doubt``) says why the loaded data cannot vouch for a code whose own dates
    say nothing against it: such a code is never shown as active."""
    if code.added_date and on < code.added_date:
        return CodeStatus(
            "not_yet", f"Not yet effective (from {code.added_date:%Y-%m-%d})", "bi-hourglass-split", "info"
        )
    if code.termination_date and on > code.termination_date:
        return CodeStatus("terminated", f"Terminated {code.termination_date:%Y-%m-%d}", "bi-x-circle", "secondary")
    if doubt:
        return CodeStatus("unverified", doubt, "bi-question-circle", "warning")
    return CodeStatus("active", "Active", "bi-check-circle", "success")


def code_url(code: str) -> str:
    return reverse("codes:code_detail", args=[code])


FLAG_BADGES = (
    ("is_add_on", "Add-on", "bi-plus-square"),
    ("is_drug", "Drug", "bi-capsule"),
    ("is_unlisted", "Unlisted / NOC", "bi-question-square"),
)


def flag_badges(code: ProcedureCode) -> str:
    flags = [(icon, text) for attr, text, icon in FLAG_BADGES if getattr(code, attr)]
    return format_html_join(
        " ", '<span class="badge text-bg-light border"><i class="bi {}" aria-hidden="true"></i> {}</span>', flags
    )


class CaptionedTable(tables.Table):
    """A table with a caption (rendered by templates/codes/_table.html)."""

    def __init__(self, *args, caption: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.caption = caption


class ProcedureCodeTable(CaptionedTable):
    code = tables.Column(linkify=lambda record: code_url(record.code), attrs={"td": {"class": "code-mono"}})
    system = tables.Column()
    section = tables.Column(verbose_name="Category / section", order_by=("system", "section", "code"))
    description = tables.Column(empty_values=(), accessor="label", order_by=("label", "short_description"))
    status = tables.Column(empty_values=(), accessor="termination_date", verbose_name="Status")
    flags = tables.Column(empty_values=(), orderable=False, verbose_name="Flags")

    class Meta:
        model = ProcedureCode
        fields = ("code", "system", "section", "description", "status", "flags")
        order_by = "code"
        template_name = "codes/_table.html"

    def __init__(self, *args, on: date | None = None, code_coverage: CodeSetCoverage | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.on = on or date.today()
        self.code_coverage = code_coverage  # None: only the code's own dates are judged

    def render_system(self, record):
        return "CPT" if record.system == CodeSystem.CPT else "HCPCS II"

    def render_section(self, record):
        prefix = record.get_cpt_category_display() if record.cpt_category else record.hcpcs_section
        if not prefix or record.section.startswith(prefix):
            return record.section
        return format_html("{} · {}", prefix, record.section)

    def render_description(self, record):
        return record.label or record.short_description or record.long_description[:120]

    def render_status(self, record):
        doubt = ""
        if self.code_coverage is not None:  # the view annotates ``in_fee_schedule`` when it passes one
            doubt = self.code_coverage.doubt(record, listed=getattr(record, "in_fee_schedule", False))
        return code_status(record, self.on, doubt=doubt).badge()

    def render_flags(self, record):
        return flag_badges(record)


INDICATOR_MEANING = {
    PTPModifierIndicator.NOT_ALLOWED: "Never billed together, no modifier bypasses the edit",
    PTPModifierIndicator.ALLOWED: "An NCCI-associated modifier may bypass the edit when clinically justified",
    PTPModifierIndicator.NOT_APPLICABLE: "Edit deleted back to its effective date; not applied",
}


class PartnerColumnsMixin(CaptionedTable):
    """The other code of an edit (annotated as ``partner`` / ``partner_label`` by the view's queryset)."""

    partner = tables.Column(
        verbose_name="Code", linkify=lambda record: code_url(record.partner), attrs={"td": {"class": "code-mono"}}
    )
    partner_label = tables.Column(verbose_name="Description", default="—", orderable=False)

    def render_partner_label(self, record):
        return record.partner_label or record.partner_short or "—"


class PTPPartnerTable(PartnerColumnsMixin):
    setting = tables.Column()
    modifier_indicator = tables.Column(verbose_name="Modifier indicator")
    effective_date = tables.DateColumn(format="Y-m-d", verbose_name="Effective")
    deletion_date = tables.DateColumn(format="Y-m-d", verbose_name="Deleted from", default="—")
    rationale = tables.Column()

    class Meta:
        model = PTPEdit
        fields = ("partner", "partner_label", "setting", "modifier_indicator", "effective_date", "deletion_date")
        sequence = ("partner", "partner_label", "setting", "modifier_indicator", "effective_date", "deletion_date")
        order_by = ("partner", "setting")
        per_page = 25
        template_name = "codes/_table.html"

    def render_modifier_indicator(self, record, value):
        meaning = INDICATOR_MEANING.get(record.modifier_indicator, "")
        return format_html('{} <span class="text-body-secondary small d-block">{}</span>', value, meaning)


class AddOnTable(PartnerColumnsMixin):
    edit_type = tables.Column(verbose_name="Edit type")
    effective_date = tables.DateColumn(format="Y-m-d", verbose_name="Effective")
    deletion_date = tables.DateColumn(format="Y-m-d", verbose_name="Last date", default="—")

    class Meta:
        model = AddOnEdit
        fields = ("partner", "partner_label", "edit_type", "effective_date", "deletion_date")
        sequence = ("partner", "partner_label", "edit_type", "effective_date", "deletion_date")
        order_by = "partner"
        per_page = 25
        template_name = "codes/_table.html"


class NDCTable(CaptionedTable):
    ndc = tables.Column(verbose_name="NDC (5-4-2)", attrs={"td": {"class": "code-mono"}})
    drug_name = tables.Column(verbose_name="Drug")
    labeler = tables.Column()
    hcpcs_dosage = tables.Column(verbose_name="HCPCS dosage")
    billing_units_per_package = tables.Column(verbose_name="Billing units / package")

    class Meta:
        model = NDCCrosswalk
        fields = ("ndc", "drug_name", "labeler", "hcpcs_dosage", "billing_units_per_package")
        order_by = "ndc"
        per_page = 25
        template_name = "codes/_table.html"

    def render_ndc(self, value):
        return f"{value[:5]}-{value[5:9]}-{value[9:]}" if len(value) == 11 else value

    def render_billing_units_per_package(self, value):
        return f"{value.normalize():f}"
