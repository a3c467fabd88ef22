"""The review queue table: its columns, sort orders and page size (a django-tables2 declaration).

As for the claim list (``claims/tables.py``), the cells are written in ``templates/claims/review_queue.html``
from each row's review and claim; the table owns the columns, their headers, sorting and pagination.
"""

from __future__ import annotations

import django_tables2 as tables
from django.db.models import QuerySet

from .choices import QueueReason
from .models import ClaimReview
from .review_selectors import queue_page_rows
from .tables import MAX_PER_PAGE, PER_PAGE, RISK_ORDER, rank_by

# Flagged claims first (errors overridden), then the risk-weighted and the random samples.
REASON_ORDER = list(QueueReason.values)


class ReviewQueueTable(tables.Table):
    select = tables.Column(empty_values=(), verbose_name="Select", orderable=False)
    number = tables.Column(accessor="claim_id", verbose_name="Claim", orderable=False)
    patient = tables.Column(accessor="claim__patient_last_name", verbose_name="Patient", orderable=False)
    payer = tables.Column(accessor="claim__payer_id", verbose_name="Payer", orderable=False)
    date_of_service = tables.Column(
        accessor="claim__date_of_service", verbose_name="Date of service", order_by=("claim__date_of_service", "pk")
    )
    biller = tables.Column(accessor="claim__created_by_id", verbose_name="Biller", orderable=False)
    risk = tables.Column(accessor="claim__risk", verbose_name="Risk")
    reason = tables.Column(verbose_name="Reason in queue")
    findings = tables.Column(empty_values=(), verbose_name="Findings", orderable=False)
    created_at = tables.Column(verbose_name="In queue since", order_by=("created_at", "pk"))
    assignee = tables.Column(verbose_name="Assignee", orderable=False)

    class Meta:
        model = ClaimReview
        fields = ()
        sequence = (
            "select",
            "number",
            "patient",
            "payer",
            "date_of_service",
            "biller",
            "risk",
            "reason",
            "findings",
            "created_at",
            "assignee",
        )
        order_by = "created_at"  # a queue: who waits longest comes first
        per_page = PER_PAGE
        empty_text = "No claims in the queue match these filters."

    def __init__(self, *args, caption: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.caption = caption

    def paginate(self, *args, per_page=None, **kwargs):
        """At most ``MAX_PER_PAGE`` rows, whatever ``?per_page=`` asks for."""
        per_page = min(per_page or self._meta.per_page, MAX_PER_PAGE)
        return super().paginate(*args, per_page=per_page, **kwargs)

    def page_reviews(self) -> list[ClaimReview]:
        """The reviews of the shown page with their claim's payer and biller and the finding counts."""
        reviews = [row.record for row in self.paginated_rows]
        queue_page_rows(reviews)
        return reviews

    def order_risk(self, queryset: QuerySet, is_descending: bool):
        rank = "-risk_rank" if is_descending else "risk_rank"
        return queryset.annotate(risk_rank=rank_by("claim__risk", RISK_ORDER)).order_by(rank, "created_at", "pk"), True

    def order_reason(self, queryset: QuerySet, is_descending: bool):
        rank = "-reason_rank" if is_descending else "reason_rank"
        return queryset.annotate(reason_rank=rank_by("reason", REASON_ORDER)).order_by(rank, "created_at", "pk"), True
