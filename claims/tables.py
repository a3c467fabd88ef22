"""The claim list table: its columns, sort orders and page size (a django-tables2 declaration).

The cells are written in ``templates/claims/claim_list.html`` from each row's claim, not rendered cell by
cell by django-tables2: with 10 columns and 25 rows its per-cell machinery (accessor resolution,
signature inspection, column attributes) cost about four times the rest of the page, and the first page
must be served in under 150 ms with 100,000 claims (``bench/claims_pages.py``). The table still owns
what it is good at: which columns exist, their headers, sorting (with the workflow and risk orders
below) and pagination.
"""

from __future__ import annotations

import django_tables2 as tables
from django.db.models import Case, IntegerField, QuerySet, Value, When

from .choices import ClaimStatus, Risk
from .models import Claim
from .selectors import claims_with_edit_rights, claims_with_finding_counts, claims_with_related

# Sort orders in the billing team's sense: the workflow for status, low to high for risk (unchecked first).
STATUS_ORDER = list(ClaimStatus.values)
RISK_ORDER = ["", Risk.NONE, Risk.LOW, Risk.MEDIUM, Risk.HIGH]
PER_PAGE = 25
MAX_PER_PAGE = 100


def rank_by(field: str, order: list[str]) -> Case:
    return Case(
        *[When(**{field: value}, then=Value(index)) for index, value in enumerate(order)],
        default=Value(len(order)),
        output_field=IntegerField(),
    )


class ClaimTable(tables.Table):
    number = tables.Column(accessor="pk", verbose_name="Claim")
    patient = tables.Column(accessor="patient_last_name", verbose_name="Patient", orderable=False)
    payer = tables.Column(accessor="payer__name", verbose_name="Payer", orderable=False)
    date_of_service = tables.Column(verbose_name="Date of service", order_by=("date_of_service", "pk"))
    status = tables.Column(verbose_name="Status")
    risk = tables.Column(verbose_name="Risk")
    findings = tables.Column(empty_values=(), verbose_name="Findings", orderable=False)
    created_by = tables.Column(accessor="created_by__username", verbose_name="Created by", orderable=False)
    updated_at = tables.Column(verbose_name="Last change", order_by=("updated_at", "pk"))
    actions = tables.Column(empty_values=(), verbose_name="Actions", orderable=False)

    class Meta:
        model = Claim
        fields = ()
        sequence = (
            "number",
            "patient",
            "payer",
            "date_of_service",
            "status",
            "risk",
            "findings",
            "created_by",
            "updated_at",
            "actions",
        )
        order_by = "-number"  # newest first, read straight from the primary key
        per_page = PER_PAGE
        empty_text = "No claims match these filters."

    def __init__(self, *args, user, show_created_by: bool = False, caption: str = "", **kwargs):
        if not show_created_by:
            kwargs["exclude"] = (*kwargs.get("exclude", ()), "created_by")
        super().__init__(*args, **kwargs)
        self.user = user
        self.show_created_by = show_created_by
        self.caption = caption

    def paginate(self, *args, per_page=None, **kwargs):
        """At most ``MAX_PER_PAGE`` rows, whatever ``?per_page=`` asks for."""
        per_page = min(per_page or self._meta.per_page, MAX_PER_PAGE)
        return super().paginate(*args, per_page=per_page, **kwargs)

    def page_claims(self) -> list[Claim]:
        """The claims of the shown page with their payer, patient and biller, finding counts and whether the
        user may edit each: a fixed number of queries whatever the page size."""
        claims = [row.record for row in self.paginated_rows]
        claims_with_related(claims, created_by=self.show_created_by, patient=False)
        claims_with_finding_counts(claims)
        claims_with_edit_rights(claims, self.user)
        return claims

    def order_status(self, queryset: QuerySet, is_descending: bool):
        rank = "-status_rank" if is_descending else "status_rank"
        return queryset.annotate(status_rank=rank_by("status", STATUS_ORDER)).order_by(rank, "-pk"), True

    def order_risk(self, queryset: QuerySet, is_descending: bool):
        rank = "-risk_rank" if is_descending else "risk_rank"
        return queryset.annotate(risk_rank=rank_by("risk", RISK_ORDER)).order_by(rank, "-pk"), True
