"""Filters of an import's claims (GET: risk and rule, never anything that names a patient)."""

from __future__ import annotations

import django_filters
from django.db.models import Exists, OuterRef, QuerySet

from claims.choices import Risk
from claims.models import ClaimFinding

from .models import ImportedClaim


class ImportedClaimFilterSet(django_filters.FilterSet):
    risk = django_filters.ChoiceFilter(field_name="claim__risk", choices=Risk.choices, empty_label="Any risk")
    rule = django_filters.ChoiceFilter(label="Rule", empty_label="Any rule", method="filter_rule")

    class Meta:
        model = ImportedClaim
        fields = ["risk", "rule"]

    def __init__(self, *args, rules=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["rule"].extra["choices"] = [(rule, rule) for rule in rules]

    def filter_rule(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(Exists(ClaimFinding.objects.filter(claim=OuterRef("claim"), rule=value)))
