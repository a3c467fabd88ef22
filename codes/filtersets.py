"""Filters of the code look-up list: pure declarations over ``ProcedureCode``."""

from __future__ import annotations

import re

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone

from .choices import CodeSystem
from .forms import CodeFilterForm
from .models import ProcedureCode

STATUS_ACTIVE = "active"
STATUS_TERMINATED = "terminated"
STATUS_NOT_YET = "not_yet"
STATUS_CHOICES = [
    (STATUS_ACTIVE, "Active"),
    (STATUS_TERMINATED, "Terminated"),
    (STATUS_NOT_YET, "Not yet effective"),
]

_CODE_FRAGMENT = re.compile(r"^[A-Za-z0-9]{1,5}$")
_YES_NO = forms.Select(choices=[("", "Any"), ("true", "Yes"), ("false", "No")])


def section_choices() -> list[tuple[str, str]]:
    """Sections present in the loaded data (one query)."""
    sections = ProcedureCode.objects.exclude(section="").order_by("section").values_list("section", flat=True)
    return [(section, section) for section in sections.distinct()]


def status_q(status: str, on) -> Q:
    """Codes active, terminated or not yet effective on a date (termination date is the last valid day)."""
    if status == STATUS_ACTIVE:
        return (Q(added_date__isnull=True) | Q(added_date__lte=on)) & (
            Q(termination_date__isnull=True) | Q(termination_date__gte=on)
        )
    if status == STATUS_TERMINATED:
        return Q(termination_date__lt=on)
    if status == STATUS_NOT_YET:
        return Q(added_date__gt=on)
    return Q()


def search_q(text: str) -> Q:
    """A code prefix (``992``, ``J01``) or words that must all appear in the label or a descriptor."""
    words = text.split()
    if not words:
        return Q()
    query = Q()
    for word in words:
        query &= Q(label__icontains=word) | Q(short_description__icontains=word) | Q(long_description__icontains=word)
    if len(words) == 1 and _CODE_FRAGMENT.match(words[0]):
        query |= Q(code__istartswith=words[0])
    return query


class ProcedureCodeFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label="Code or words", method="filter_q")
    system = django_filters.ChoiceFilter(choices=CodeSystem.choices, empty_label="Any system")
    section = django_filters.ChoiceFilter(choices=section_choices, empty_label="Any section")
    status = django_filters.ChoiceFilter(
        label="Status", choices=STATUS_CHOICES, empty_label="Any status", method="filter_status"
    )
    on = django_filters.DateFilter(
        label="Status on",
        method="filter_on",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Default: today.",
    )
    is_add_on = django_filters.BooleanFilter(label="Add-on", widget=_YES_NO)
    is_drug = django_filters.BooleanFilter(label="Drug", widget=_YES_NO)

    class Meta:
        model = ProcedureCode
        fields = ["q", "system", "section", "status", "on", "is_add_on", "is_drug"]
        form = CodeFilterForm

    @property
    def on_date(self):
        """The date statuses are judged on: the form's ``on`` or today."""
        if self.is_bound and self.form.is_valid() and self.form.cleaned_data.get("on"):
            return self.form.cleaned_data["on"]
        return timezone.localdate()

    def filter_q(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(search_q(value))

    def filter_status(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(status_q(value, self.on_date))

    def filter_on(self, queryset: QuerySet, name: str, value) -> QuerySet:
        return queryset  # only sets the date the status filter and column use
