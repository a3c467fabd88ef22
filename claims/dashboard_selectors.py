"""The supervisors' dashboard: one aggregate query per chart, whatever the number of claims (the two charts of
rules, findings and overrides, share one: ``rule_counts``).

Every function takes the dashboard's filters (``DashboardFilters``) and returns plain rows (dicts) ready for
the chart's table and CSV. Nothing here loops over claims or findings in Python: the database groups and
counts, and Python only labels the few rows it returns (at most ``TOP`` per chart, or one per week).

What each chart counts:

* findings are the stored ``ClaimFinding`` rows (the findings of each claim's last check) of the claims
  the filters select: not voided, date of service in the range, the payer, the biller (``created_by``);
* clean at first check selects claims by the day of their first check (``first_checked_at``) instead of
  the date of service: a week is the week the claims were first checked;
* the queue (open reviews) ignores the date range: a claim waits however old its date of service is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Case, Count, DateField, F, Max, Min, OuterRef, Q, QuerySet, Subquery, Value, When
from django.utils import timezone

from codes.models import ProcedureCode

from .choices import Category, ClaimStatus, OverrideDecisionChoice, QueueReason, Risk
from .models import Claim, ClaimFinding, ClaimReview, OverrideDecision
from .rules import load_rule_modules, registry

TOP = 15  # rows of the charts that rank rules, payers, billers and codes
DAY = timedelta(days=1)
# Age buckets of the open reviews: (key, label, from days, to days); "to" None: no upper bound.
QUEUE_AGES = (
    ("under_1_day", "Under 1 day", 0, 1),
    ("days_1_3", "1–3 days", 1, 3),
    ("days_3_7", "3–7 days", 3, 7),
    ("over_7_days", "Over 7 days", 7, None),
)


@dataclass(frozen=True)
class DashboardFilters:
    """What the supervisor chose: dates of service (inclusive, either may be open), a payer, a biller."""

    dos_from: date | None = None
    dos_to: date | None = None
    payer_id: int | None = None
    biller_id: int | None = None


def _percent(part: int, whole: int) -> float:
    return round(100 * part / whole, 1) if whole else 0.0


def _start_of(day: date) -> datetime:
    """Midnight at the start of ``day`` in the site's time zone."""
    return timezone.make_aware(datetime.combine(day, time.min))


def claim_q(filters: DashboardFilters, prefix: str = "", *, dates: bool = True) -> Q:
    """The filters as a condition on claims, through ``prefix`` (``"claim__"`` from a finding); ``dates``: the
    date-of-service range too."""
    conditions = {f"{prefix}payer_id": filters.payer_id, f"{prefix}created_by_id": filters.biller_id}
    if dates:
        conditions |= {
            f"{prefix}date_of_service__gte": filters.dos_from,
            f"{prefix}date_of_service__lte": filters.dos_to,
        }
    return ~Q(**{f"{prefix}status": ClaimStatus.VOIDED}) & Q(
        **{lookup: value for lookup, value in conditions.items() if value}
    )


def dashboard_claims(filters: DashboardFilters) -> QuerySet[Claim]:
    """The claims the filters select (voided claims never count)."""
    return Claim.objects.filter(claim_q(filters)).order_by()


def dashboard_findings(filters: DashboardFilters) -> QuerySet[ClaimFinding]:
    """The stored findings of the selected claims: ``claim_id IN (the selected claims)``.

    A subquery rather than a join: SQLite lists the claims of the range from the date-of-service index once,
    then reads their findings through the claim index without going back to a claim row per finding (half
    the time of the join with 100,000 claims); PostgreSQL plans both as the same (semi-)join. Without any
    filter, the (few) voided claims are left out instead of every other claim being listed."""
    return _of_claims(ClaimFinding.objects.order_by(), "claim", filters)


def _of_claims(queryset: QuerySet, relation: str, filters: DashboardFilters) -> QuerySet:
    """``queryset`` limited to the rows whose ``relation`` (a claim) the filters select."""
    if filters.dos_from or filters.dos_to or filters.payer_id or filters.biller_id:
        return queryset.filter(**{f"{relation}__in": dashboard_claims(filters).values("pk")})
    return queryset.exclude(**{f"{relation}__in": Claim.objects.filter(status=ClaimStatus.VOIDED).values("pk")})


def _counted(queryset: QuerySet, *group: str) -> QuerySet:
    """Findings grouped by ``group``: how many, and how many claims they are on; most findings first."""
    return (
        queryset.values(*group)
        .annotate(findings=Count("id"), claims=Count("claim_id", distinct=True))
        .order_by("-findings", *group)
    )


def _rule_title(rule_id: str) -> str:
    load_rule_modules()
    return registry.get(rule_id).title if rule_id in registry else ""


# --- findings --------------------------------------------------------------------------------------------
def findings_by_category(filters: DashboardFilters) -> list[dict[str, Any]]:
    labels = dict(Category.choices)
    return [
        {**row, "category": str(labels.get(row["category"], row["category"])), "category_code": row["category"]}
        for row in _counted(dashboard_findings(filters), "category")
    ]


def rule_counts(filters: DashboardFilters, shared: dict | None = None) -> list[dict[str, Any]]:
    """Per rule with findings (every rule, a few dozen rows): findings, claims, and findings the biller overrode
    or acknowledged. One query for both charts of rules: kept in ``shared`` (one page's) when given."""
    if shared is not None and "rule_counts" in shared:
        return shared["rule_counts"]
    rows = [
        {**row, "title": _rule_title(row["rule"])}
        for row in _counted(dashboard_findings(filters), "rule").annotate(
            overridden=Count("id", filter=~Q(override_reason=""))
        )
    ]
    if shared is not None:
        shared["rule_counts"] = rows
    return rows


def findings_by_rule(filters: DashboardFilters, shared: dict | None = None) -> list[dict[str, Any]]:
    """The ``TOP`` rules with the most findings."""
    rows = rule_counts(filters, shared)  # most findings first
    return [{key: row[key] for key in ("rule", "title", "findings", "claims")} for row in rows[:TOP]]


def findings_by_payer(filters: DashboardFilters) -> list[dict[str, Any]]:
    rows = _counted(_joined_findings(filters), "claim__payer__name", "claim__payer_id")[:TOP]
    return [{"payer": row["claim__payer__name"], "payer_id": row["claim__payer_id"], **_counts(row)} for row in rows]


def _joined_findings(filters: DashboardFilters) -> QuerySet[ClaimFinding]:
    """The findings of the selected claims through a join, for the charts that group by a field of the claim
    (the join is needed anyway: with the subquery too, PostgreSQL reads the claims twice)."""
    return ClaimFinding.objects.filter(claim_q(filters, "claim__")).order_by()


def findings_by_biller(filters: DashboardFilters) -> list[dict[str, Any]]:
    rows = _counted(
        _joined_findings(filters),
        "claim__created_by__username",
        "claim__created_by__first_name",
        "claim__created_by__last_name",
        "claim__created_by_id",
    )[:TOP]
    return [
        {
            "biller": biller_name(
                row["claim__created_by__username"],
                row["claim__created_by__first_name"],
                row["claim__created_by__last_name"],
            ),
            "biller_id": row["claim__created_by_id"],
            **_counts(row),
        }
        for row in rows
    ]


def biller_name(username: str, first_name: str = "", last_name: str = "") -> str:
    full = f"{first_name} {last_name}".strip()
    return f"{full} ({username})" if full else username


def _counts(row: dict[str, Any]) -> dict[str, int]:
    return {"findings": row["findings"], "claims": row["claims"]}


def top_codes(filters: DashboardFilters) -> list[dict[str, Any]]:
    """The line codes (CPT/HCPCS) behind the most findings, with ClaimDesk's label of each (same query)."""
    label = (
        ProcedureCode.objects.filter(code=OuterRef("code"))
        .annotate(text=Case(When(label="", then=F("short_description")), default=F("label")))
        .values("text")[:1]
    )
    rows = _counted(dashboard_findings(filters).exclude(code=""), "code").annotate(label=Subquery(label))[:TOP]
    return [{**row, "label": row["label"] or ""} for row in rows]


# --- overrides and reviews -------------------------------------------------------------------------------
def override_rate_by_rule(filters: DashboardFilters, shared: dict | None = None) -> list[dict[str, Any]]:
    """Per rule with findings: how many carry the biller's override (or acknowledgement), and the share; the
    ``TOP`` rules overridden most often."""
    rows = sorted(rule_counts(filters, shared), key=lambda row: (-row["overridden"], -row["findings"], row["rule"]))
    return [
        {
            **{key: row[key] for key in ("rule", "title", "findings", "overridden")},
            "rate": _percent(row["overridden"], row["findings"]),
        }
        for row in rows[:TOP]
    ]


def rejection_rate_by_rule(filters: DashboardFilters) -> list[dict[str, Any]]:
    """Per rule: the reviewers' decisions on overrides, how many rejected, and the share; most rejected first."""
    rows = (
        _of_claims(OverrideDecision.objects.all(), "review__claim", filters)
        .values("rule")
        .annotate(decisions=Count("id"), rejected=Count("id", filter=Q(decision=OverrideDecisionChoice.REJECTED)))
        .order_by("-rejected", "-decisions", "rule")[:TOP]
    )
    return [
        {**row, "title": _rule_title(row["rule"]), "rate": _percent(row["rejected"], row["decisions"])} for row in rows
    ]


def clean_first_check_by_week(filters: DashboardFilters) -> list[dict[str, Any]]:
    """Per week of the first check (weeks start on Monday, in the site's time zone): claims first checked, how
    many had no finding (``first_check_risk`` none), and the share. The date range selects the day of the
    first check; an open end is the first (or last) check of the selected claims (one more query)."""
    claims = Claim.objects.filter(claim_q(filters, dates=False), first_checked_at__isnull=False).order_by()
    first, last = filters.dos_from, filters.dos_to
    if first is None or last is None:
        bounds = claims.aggregate(first=Min("first_checked_at"), last=Max("first_checked_at"))
        if bounds["first"] is None:
            return []
        first = first or timezone.localtime(bounds["first"]).date()
        last = last or timezone.localtime(bounds["last"]).date()
    if first > last:
        return []
    monday = first - timedelta(days=first.weekday())
    mondays = [monday + timedelta(weeks=number) for number in range((last - monday).days // 7 + 1)]
    # The tree's root is always a comparison: a constant (one week) would not be grouped by.
    week = Case(When(first_checked_at__isnull=False, then=_week_of(mondays)), output_field=DateField())
    rows = (
        claims.filter(first_checked_at__gte=_start_of(first), first_checked_at__lt=_start_of(last + DAY))
        .annotate(week=week)
        .values("week")
        .annotate(claims=Count("id"), clean=Count("id", filter=Q(first_check_risk=Risk.NONE)))
        .order_by("week")
    )
    return [
        {
            "week": row["week"],
            "claims": row["claims"],
            "clean": row["clean"],
            "share": _percent(row["clean"], row["claims"]),
        }
        for row in rows
    ]


def _week_of(mondays: list[date]) -> Case | Value:
    """The Monday of the week of ``first_checked_at``, as a search tree of comparisons with the weeks' starts
    (midnight in the site's time zone): a handful of comparisons per claim, computed by the database itself
    (SQLite runs ``TruncWeek`` as a Python function per row: five times slower)."""
    if len(mondays) == 1:
        return Value(mondays[0], output_field=DateField())
    middle = len(mondays) // 2
    return Case(
        When(first_checked_at__lt=_start_of(mondays[middle]), then=_week_of(mondays[:middle])),
        default=_week_of(mondays[middle:]),
        output_field=DateField(),
    )


def review_queue(filters: DashboardFilters, now: datetime | None = None) -> list[dict[str, Any]]:
    """Open reviews (no outcome yet) per reason, by age (since they entered the queue), with the oldest's age
    in days; one row per reason, empty reasons included. Honours the payer and biller, not the dates."""
    now = now or timezone.now()
    buckets = {}
    for key, _label, start, end in QUEUE_AGES:
        condition = Q(created_at__lte=now - timedelta(days=start)) if start else Q()
        if end is not None:
            condition &= Q(created_at__gt=now - timedelta(days=end))
        buckets[key] = Count("id", filter=condition) if condition else Count("id")
    # Voided claims as a (short) list to leave out, not a join: with neither payer nor biller chosen, the
    # open reviews are counted without reading their claims.
    reviews = ClaimReview.objects.filter(outcome="").exclude(
        claim__in=Claim.objects.filter(status=ClaimStatus.VOIDED).values("pk")
    )
    if filters.payer_id:
        reviews = reviews.filter(claim__payer_id=filters.payer_id)
    if filters.biller_id:
        reviews = reviews.filter(claim__created_by_id=filters.biller_id)
    found = {
        row["reason"]: row
        for row in reviews.values("reason")
        .annotate(total=Count("id"), oldest=Min("created_at"), **buckets)
        .order_by("reason")
    }
    rows = []
    for reason, label in QueueReason.choices:
        row = found.get(reason, {})
        oldest = row.get("oldest")
        rows.append(
            {
                "reason": str(label),
                "reason_code": reason,
                "total": row.get("total", 0),
                **{key: row.get(key, 0) for key, *_ in QUEUE_AGES},
                "oldest_days": round((now - oldest) / DAY, 1) if oldest else None,
            }
        )
    return rows


def queue_totals(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The queue's rows summed (all reasons): the size of the queue and its oldest claim."""
    ages = [row["oldest_days"] for row in rows if row["oldest_days"] is not None]
    return {
        "reason": "All reasons",
        "reason_code": "",
        "total": sum(row["total"] for row in rows),
        **{key: sum(row[key] for row in rows) for key, *_ in QUEUE_AGES},
        "oldest_days": max(ages) if ages else None,
    }
