"""Filters of the batch list and of a batch's claim results (GET: none of them names a patient)."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, QuerySet

from claims.choices import Risk
from claims.selectors import sees_all_claims

from .choices import BatchKind, BatchStatus
from .models import Batch, ClaimResult, ResultFinding


class BatchFilterSet(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=BatchKind.choices, empty_label="Any kind")
    status = django_filters.ChoiceFilter(choices=BatchStatus.choices, empty_label="Any status")
    mine = django_filters.BooleanFilter(label="Mine only", widget=forms.CheckboxInput, method="filter_mine")

    class Meta:
        model = Batch
        fields = ["kind", "status", "mine"]

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        if request is None or not sees_all_claims(request.user):
            del self.filters["mine"]  # billers only ever see their own batches

    def filter_mine(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        return queryset.filter(created_by=self.request.user) if value else queryset


class ClaimResultFilterSet(django_filters.FilterSet):
    risk = django_filters.ChoiceFilter(choices=Risk.choices, empty_label="Any risk")
    rule = django_filters.ChoiceFilter(label="Rule", empty_label="Any rule", method="filter_rule")

    class Meta:
        model = ClaimResult
        fields = ["risk", "rule"]

    def __init__(self, *args, rules=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["rule"].extra["choices"] = [(rule, rule) for rule in rules]

    def filter_rule(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(Exists(ResultFinding.objects.filter(result=OuterRef("pk"), rule=value)))
