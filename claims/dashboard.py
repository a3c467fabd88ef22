"""The supervisors' dashboard: findings by category, rule, payer and biller, override and rejection rates,
clean claims at first check by week, the codes behind most findings, and the review queue.

Each chart is drawn in the browser (``static/js/dashboard.js``, Chart.js) from the table of its numbers
beside it, and each table is also a CSV (``dashboard_csv``). The queries are in ``dashboard_selectors``:
one aggregate query per chart (the two charts of rules share theirs). Only reviewers (``claims.review_claim``)
see it; it shows no patient data, so it writes no audit event.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import permission_required
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.db.models import Exists, OuterRef
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.utils import timezone
from django.views.generic import TemplateView

from . import dashboard_selectors as selectors
from .filters import ClaimFilterForm
from .models import Claim, Payer

REVIEW_CLAIM = "claims.review_claim"
DEFAULT_DAYS = 90  # the first load shows the last 90 days of dates of service
FILTER_FIELDS = ("dos_from", "dos_to", "payer", "biller")
_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


# --- filters -------------------------------------------------------------------------------------------
class BillerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return selectors.biller_name(obj.get_username(), obj.first_name, obj.last_name)


class DashboardFilterForm(ClaimFilterForm):
    """Dates of service (from, to), payer and biller; GET, one compact row like the claim list's filters."""

    form_class = "dashboard-filters"
    aria_label = "Filter the dashboard"
    columns = {}
    column = "col-6 col-md-3 col-xl-2"
    reset_label = "Last 90 days"

    dos_from = forms.DateField(label="Service from", required=False, widget=_DATE)
    dos_to = forms.DateField(label="Service to", required=False, widget=_DATE)
    payer = forms.ModelChoiceField(queryset=Payer.objects.order_by("name"), required=False, empty_label="Any payer")
    biller = BillerChoiceField(queryset=None, required=False, empty_label="Any biller")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Billers: the users who created claims (one EXISTS per user, through the created_by index).
        self.fields["biller"].queryset = (
            get_user_model()
            .objects.filter(Exists(Claim.objects.filter(created_by=OuterRef("pk"))))
            .order_by("username")
        )

    def filters(self) -> selectors.DashboardFilters:
        data = self.cleaned_data
        return selectors.DashboardFilters(
            dos_from=data.get("dos_from"),
            dos_to=data.get("dos_to"),
            payer_id=data["payer"].pk if data.get("payer") else None,
            biller_id=data["biller"].pk if data.get("biller") else None,
        )

    def query(self) -> str:
        """The filters as a query string (every field, blanks included, so a link repeats exactly them)."""
        data = self.cleaned_data
        return urlencode(
            {
                "dos_from": data["dos_from"].isoformat() if data.get("dos_from") else "",
                "dos_to": data["dos_to"].isoformat() if data.get("dos_to") else "",
                "payer": data["payer"].pk if data.get("payer") else "",
                "biller": data["biller"].pk if data.get("biller") else "",
            }
        )


def default_filter_data(today: date | None = None) -> dict[str, str]:
    """The first load: the last 90 days of dates of service (today included), every payer and biller."""
    today = today or timezone.localdate()
    return {"dos_from": (today - timedelta(days=DEFAULT_DAYS - 1)).isoformat(), "dos_to": today.isoformat()}


def filter_form(params) -> DashboardFilterForm:
    """The form bound to the request's filters, or to the defaults when the request names none."""
    chosen = any(name in params for name in FILTER_FIELDS)
    return DashboardFilterForm(params if chosen else default_filter_data())


# --- charts --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Column:
    """A column of a chart's table and CSV. The first column labels the rows; ``series``: drawn in the chart;
    ``detail``: shown under the row's label in the table (a column of its own in the CSV)."""

    key: str
    label: str
    kind: str = "count"  # text, code (text in monospace), count, percent, days, date
    series: bool = False
    csv_label: str = ""
    detail: bool = False


@dataclass(frozen=True)
class Chart:
    name: str
    title: str
    description: str
    rows: Callable[..., list[dict[str, Any]]]  # (filters) or, when ``shared``, (filters, shared)
    columns: tuple[Column, ...]
    type: str = "bar"  # bar or line (Chart.js)
    horizontal: bool = False
    stacked: bool = False
    percent: bool = False  # the series are percentages (axis 0-100 %)
    tall: bool = False
    empty: str = "No findings for these filters."
    shared: bool = False  # the selector reuses a query another chart of the page ran (``rule_counts``)

    def rows_for(self, filters: selectors.DashboardFilters, shared: dict | None = None) -> list[dict[str, Any]]:
        return self.rows(filters, shared) if self.shared else self.rows(filters)


def _count_columns(first: Column, *extra: Column) -> tuple[Column, ...]:
    return (first, *extra, Column("findings", "Findings", series=True), Column("claims", "Claims", series=True))


CHARTS: dict[str, Chart] = {
    chart.name: chart
    for chart in (
        Chart(
            "by_category",
            "Findings by category",
            "Findings of the claims' last check, and the number of claims they are on.",
            selectors.findings_by_category,
            _count_columns(Column("category", "Category", "text")),
            horizontal=True,
            tall=True,
        ),
        Chart(
            "by_rule",
            "Findings by rule",
            f"The {selectors.TOP} rules with the most findings.",
            selectors.findings_by_rule,
            _count_columns(Column("rule", "Rule", "code"), Column("title", "What it checks", "text", detail=True)),
            horizontal=True,
            tall=True,
            shared=True,
        ),
        Chart(
            "by_payer",
            "Findings by payer",
            "Findings of each payer's claims.",
            selectors.findings_by_payer,
            _count_columns(Column("payer", "Payer", "text")),
            horizontal=True,
        ),
        Chart(
            "by_biller",
            "Findings by biller",
            "Findings of the claims each biller entered.",
            selectors.findings_by_biller,
            _count_columns(Column("biller", "Biller", "text")),
            horizontal=True,
        ),
        Chart(
            "override_rate",
            "Override rate by rule",
            "Share of each rule's findings the biller overrode or acknowledged with a reason; "
            f"the {selectors.TOP} rules overridden most often.",
            selectors.override_rate_by_rule,
            (
                Column("rule", "Rule", "code"),
                Column("title", "What it checks", "text", detail=True),
                Column("findings", "Findings"),
                Column("overridden", "Overridden"),
                Column("rate", "Override rate", "percent", series=True, csv_label="Override rate (%)"),
            ),
            horizontal=True,
            percent=True,
            tall=True,
            shared=True,
        ),
        Chart(
            "rejection_rate",
            "Reviewers’ rejection rate by rule",
            "Share of the reviewers’ decisions on overrides that rejected the override; "
            f"the {selectors.TOP} rules rejected most often.",
            selectors.rejection_rate_by_rule,
            (
                Column("rule", "Rule", "code"),
                Column("title", "What it checks", "text", detail=True),
                Column("decisions", "Decisions"),
                Column("rejected", "Rejected"),
                Column("rate", "Rejection rate", "percent", series=True, csv_label="Rejection rate (%)"),
            ),
            horizontal=True,
            percent=True,
            empty="No override decisions for these filters.",
        ),
        Chart(
            "clean_first_check",
            "Clean at first check, by week",
            "Share of claims whose first check found nothing, by the week (from Monday) of that first check; "
            "the dates above select the day of the first check.",
            selectors.clean_first_check_by_week,
            (
                Column("week", "Week of", "date", csv_label="Week of (Monday)"),
                Column("claims", "Claims checked"),
                Column("clean", "Clean"),
                Column("share", "Clean share", "percent", series=True, csv_label="Clean share (%)"),
            ),
            type="line",
            percent=True,
            empty="No claims first checked in this range.",
        ),
        Chart(
            "top_codes",
            "Codes behind most findings",
            f"The {selectors.TOP} line codes (CPT/HCPCS) with the most findings.",
            selectors.top_codes,
            _count_columns(Column("code", "Code", "code"), Column("label", "Label", "text", detail=True)),
            horizontal=True,
            tall=True,
        ),
        Chart(
            "queue",
            "Review queue: size and age",
            "Claims waiting for review now, by why they are in the queue and how long they have waited. "
            "Whatever their dates of service: only the payer and biller filters apply.",
            selectors.review_queue,
            (
                Column("reason", "Reason", "text"),
                *(Column(key, label, series=True) for key, label, *_ in selectors.QUEUE_AGES),
                Column("total", "Waiting"),
                Column("oldest_days", "Oldest (days)", "days"),
            ),
            horizontal=True,
            stacked=True,
            empty="No claims are waiting for review.",
        ),
    )
}


def _text(column: Column, value: Any) -> str:
    if value is None or value == "":
        return "—"
    if column.kind == "count":
        return f"{value:,}"
    if column.kind == "percent":
        return f"{value:.1f} %"
    if column.kind == "days":
        return f"{value:.1f}"
    if column.kind == "date":
        return f"{value:%m/%d/%Y}"
    return str(value)


def _raw(column: Column, value: Any) -> str:
    """The value as the chart script and the CSV read it: a plain number, an ISO date, the text."""
    if value is None:
        return ""
    if column.kind == "date":
        return value.isoformat()
    return str(value)


def _cells(chart: Chart, row: dict[str, Any]) -> dict[str, Any]:
    """A table row: its label cell, the details shown under the label, the other cells."""
    cells = [
        {"text": _text(column, row.get(column.key)), "value": _raw(column, row.get(column.key)), "kind": column.kind}
        for column in chart.columns
    ]
    details = [cell for cell, column in zip(cells, chart.columns, strict=True) if column.detail]
    others = [cell for cell, column in zip(cells[1:], chart.columns[1:], strict=True) if not column.detail]
    return {"label": cells[0], "details": details, "cells": others}


def chart_context(chart: Chart, rows: list[dict[str, Any]], filter_query: str) -> dict[str, Any]:
    context = {
        "name": chart.name,
        "title": chart.title,
        "description": chart.description,
        "chart": chart,
        "columns": [column for column in chart.columns if not column.detail],
        "rows": [_cells(chart, row) for row in rows],
        "footer": None,
        "csv_query": urlencode({"chart": chart.name}) + (f"&{filter_query}" if filter_query else ""),
    }
    if chart.name == "queue":
        totals = selectors.queue_totals(rows)
        context["footer"] = _cells(chart, totals)
        context["summary"] = {
            **totals,
            "total_text": f"{totals['total']:,}",
            "oldest_text": _text(Column("oldest_days", "", "days"), totals["oldest_days"]),
        }
        context["rows"] = context["rows"] if totals["total"] else []
    return context


def scope_text(filters: selectors.DashboardFilters, form: DashboardFilterForm) -> str:
    """What the figures cover, in words."""
    start, end = filters.dos_from, filters.dos_to
    if start and end:
        dates = f"dates of service {start:%m/%d/%Y} to {end:%m/%d/%Y}"
    elif start:
        dates = f"dates of service from {start:%m/%d/%Y}"
    elif end:
        dates = f"dates of service up to {end:%m/%d/%Y}"
    else:
        dates = "every date of service"
    payer = form.cleaned_data.get("payer")
    biller = form.cleaned_data.get("biller")
    parts = [
        dates,
        f"payer {payer}" if payer else "every payer",
        f"biller {form.fields['biller'].label_from_instance(biller)}" if biller else "every biller",
    ]
    return "Figures for " + ", ".join(parts) + ". Voided claims are left out."


# --- views ---------------------------------------------------------------------------------------------
class DashboardView(PermissionRequiredMixin, TemplateView):
    """The dashboard: the filter form, then a card per chart (chart, table, CSV link)."""

    permission_required = REVIEW_CLAIM
    raise_exception = True
    template_name = "claims/dashboard.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = filter_form(self.request.GET)
        context["form"] = form
        context["defaults"] = not any(name in self.request.GET for name in FILTER_FIELDS)
        context["default_days"] = DEFAULT_DAYS
        context["charts"] = []
        if form.is_valid():
            filters = form.filters()
            query = form.query()
            context["scope"] = scope_text(filters, form)
            shared: dict = {}  # the rules' counts, read once for the two charts of rules
            context["charts"] = [
                chart_context(chart, chart.rows_for(filters, shared), query) for chart in CHARTS.values()
            ]
        return context


def _csv_cell(column: Column, value: Any) -> str:
    """The CSV cell; a text a spreadsheet would run as a formula (payer and user names are typed by people)
    is prefixed with an apostrophe."""
    text = _raw(column, value)
    return "'" + text if column.kind in ("text", "code") and text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@permission_required(REVIEW_CLAIM, raise_exception=True)
def dashboard_csv(request):
    """``?chart=<name>&<filters>``: the rows of one chart with a header row, as the table beside it shows them."""
    chart = CHARTS.get(request.GET.get("chart", ""))
    if chart is None:
        raise Http404("No such chart on the dashboard.")
    form = filter_form(request.GET)
    if not form.is_valid():
        problems = "; ".join(f"{name}: {' '.join(errors)}" for name, errors in form.errors.items())
        return HttpResponseBadRequest(f"The filters are not valid: {problems}", content_type="text/plain")
    filters = form.filters()
    rows = chart.rows_for(filters)
    dates = "-".join(day.isoformat() for day in (filters.dos_from, filters.dos_to) if day) or "all-dates"
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="claimdesk-{chart.name.replace("_", "-")}-{dates}.csv"'
    writer = csv.writer(response)
    writer.writerow([column.csv_label or column.label for column in chart.columns])
    for row in rows:
        writer.writerow([_csv_cell(column, row.get(column.key)) for column in chart.columns])
    return response
