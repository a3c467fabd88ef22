"""Filters of the export page (the exportable claims) and of the list of interchanges written."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import QuerySet

from claims.filters import ClaimFilterForm
from claims.models import Claim, Payer

from .models import Clearinghouse, Interchange, Usage
from .selectors import EXPORT_STATUSES, exportable_q

_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ExportFilterForm(ClaimFilterForm):
    form_class = "claim-filters export-filters"
    aria_label = "Filter the claims to export"
    posted_fields = ()


class ExportClaimFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        label="Status", choices=list(EXPORT_STATUSES.items()), empty_label="Ready or approved", method="filter_status"
    )
    payer = django_filters.ModelChoiceFilter(queryset=Payer.objects.order_by("name"), empty_label="Any payer")
    dos_from = django_filters.DateFilter(
        label="Service from", field_name="date_of_service", lookup_expr="gte", widget=_DATE
    )
    dos_to = django_filters.DateFilter(
        label="Service to", field_name="date_of_service", lookup_expr="lte", widget=_DATE
    )

    class Meta:
        model = Claim
        fields = ["status", "payer", "dos_from", "dos_to"]
        form = ExportFilterForm

    def filter_status(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(exportable_q([value]))


class InterchangeFilterForm(ClaimFilterForm):
    form_class = "claim-filters interchange-filters"
    aria_label = "Filter the 837P files"
    posted_fields = ()


class InterchangeFilterSet(django_filters.FilterSet):
    clearinghouse = django_filters.ModelChoiceFilter(
        queryset=Clearinghouse.objects.order_by("name"), empty_label="Any clearinghouse"
    )
    usage = django_filters.ChoiceFilter(choices=Usage.choices, empty_label="Production or test")
    dos_from = django_filters.DateFilter(label="Written from", field_name="created_at", lookup_expr="date__gte",
                                         widget=_DATE)
    dos_to = django_filters.DateFilter(label="Written to", field_name="created_at", lookup_expr="date__lte",
                                       widget=_DATE)

    class Meta:
        model = Interchange
        fields = ["clearinghouse", "usage", "dos_from", "dos_to"]
        form = InterchangeFilterForm
