"""Filters of the review queue: biller, payer, category and rule of a finding, risk, reason in the queue,
dates of service, assignee and "my queue". The rows are open reviews (``ClaimReview``)."""

from __future__ import annotations

import django_filters
from crispy_forms.layout import Field
from django import forms
from django.db.models import QuerySet

from .choices import Category, QueueReason, Risk
from .filters import ClaimFilterForm
from .models import ClaimFinding, ClaimReview, Payer
from .review_selectors import claim_creators, reviewers

_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
RULE_DATALIST = "rule-ids"


class ReviewFilterForm(ClaimFilterForm):
    """One compact block of controls (GET); the "to" date may not be before the "from" date."""

    form_class = "review-filters mb-2"
    aria_label = "Filter the review queue"
    columns = {"mine": "col-auto pt-md-4 mt-md-2"}

    def layout_field(self, name: str) -> Field:
        """The rule box offers the registered rule IDs (a datalist the page writes once)."""
        return Field(name, list=RULE_DATALIST, autocomplete="off") if name == "rule" else Field(name)


def _reviewers(request):
    return reviewers()


def _billers(request):
    return claim_creators()


class ReviewFilterSet(django_filters.FilterSet):
    reason = django_filters.ChoiceFilter(label="Reason in queue", choices=QueueReason.choices, empty_label="Any reason")
    risk = django_filters.ChoiceFilter(
        label="Risk", field_name="claim__risk", choices=list(reversed(Risk.choices)), empty_label="Any risk"
    )
    biller = django_filters.ModelChoiceFilter(
        field_name="claim__created_by", queryset=_billers, empty_label="Any biller", label="Biller"
    )
    payer = django_filters.ModelChoiceFilter(
        label="Payer", field_name="claim__payer", queryset=Payer.objects.order_by("name"), empty_label="Any payer"
    )
    category = django_filters.ChoiceFilter(
        label="Finding category", choices=Category.choices, empty_label="Any finding", method="filter_category"
    )
    rule = django_filters.CharFilter(
        label="Rule",
        method="filter_rule",
        max_length=32,
        widget=forms.TextInput(attrs={"placeholder": "e.g. PTP-MI0 or PTP-"}),
    )
    dos_from = django_filters.DateFilter(
        label="Service from", field_name="claim__date_of_service", lookup_expr="gte", widget=_DATE
    )
    dos_to = django_filters.DateFilter(
        label="Service to", field_name="claim__date_of_service", lookup_expr="lte", widget=_DATE
    )
    assignee = django_filters.ModelChoiceFilter(
        queryset=_reviewers, empty_label="Anyone", null_label="Unassigned", label="Assignee"
    )
    mine = django_filters.BooleanFilter(label="My queue", widget=forms.CheckboxInput, method="filter_mine")

    class Meta:
        model = ClaimReview
        fields = ["reason", "risk", "biller", "payer", "category", "rule", "dos_from", "dos_to", "assignee", "mine"]
        form = ReviewFilterForm

    @property
    def is_filtering(self) -> bool:
        return self.is_bound and any(self.data.get(name) for name in self.filters)

    def filter_category(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        """Reviews whose claim has a finding of the category (a semi-join on the findings' index)."""
        return queryset.filter(claim_id__in=ClaimFinding.objects.filter(category=value).values("claim_id"))

    def filter_rule(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        """Reviews whose claim has a finding of the rule; a rule ID's start (``PTP-``) matches the family."""
        rule = value.strip().upper()
        if not rule:
            return queryset
        return queryset.filter(claim_id__in=ClaimFinding.objects.filter(rule__startswith=rule).values("claim_id"))

    def filter_mine(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        return queryset.filter(assignee=self.request.user) if value else queryset
