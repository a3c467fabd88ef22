"""The supervisors' dashboard: each chart's numbers, the filters, who may see it, the tables, the CSV, and a
fixed number of queries whatever the number of claims."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime, timedelta
from html import unescape
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags

from claims.choices import Category, ClaimStatus, OverrideDecisionChoice, PayerType, QueueReason, Risk, Severity
from claims.dashboard import CHARTS
from claims.dashboard_selectors import DashboardFilters, findings_by_category, review_queue
from claims.models import ClaimFinding, ClaimReview, ClaimSnapshot, OverrideDecision
from codes.models import ProcedureCode

from .factories import make_claim, make_payer

pytestmark = pytest.mark.django_db

URL = reverse("claims:dashboard")
CSV_URL = reverse("claims:dashboard_csv")
MARCH = {"dos_from": "2026-03-01", "dos_to": "2026-03-31", "payer": "", "biller": ""}
RULE_CATEGORY = {
    "PTP-MI0": (Category.NCCI_PTP, Severity.ERROR),
    "PTP-MI1-NOMOD": (Category.NCCI_PTP, Severity.WARNING),
    "MUE-LINE": (Category.MUE, Severity.ERROR),
    "FMT-NPI-LUHN": (Category.FORMAT, Severity.ERROR),
    "COD-EFFECTIVE": (Category.CODE_VALIDITY, Severity.ERROR),
}


def at(day: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour))


def finding(claim, rule: str, *, line: int | None = 1, code: str = "", override: str = "") -> ClaimFinding:
    category, severity = RULE_CATEGORY[rule]
    return ClaimFinding.objects.create(
        claim=claim,
        line_number=line,
        rule=rule,
        category=category,
        severity=severity,
        message="A finding.",
        code=code,
        override_reason=override,
    )


def review(claim, reason: str, *, age: timedelta, outcome: str = "", number: int = 1) -> ClaimReview:
    snapshot = ClaimSnapshot.objects.create(
        claim=claim, number=number, created_by=claim.created_by, status="flagged", risk="high", data={"findings": []}
    )
    made = ClaimReview.objects.create(claim=claim, snapshot=snapshot, reason=reason, outcome=outcome)
    ClaimReview.objects.filter(pk=made.pk).update(created_at=timezone.now() - age)  # auto_now_add otherwise
    return made


def decision(made: ClaimReview, rule: str, verdict: str, by, line: int = 1) -> OverrideDecision:
    return OverrideDecision.objects.create(
        review=made,
        finding_key=f"{line}:{rule}",
        rule=rule,
        line_number=line,
        decision=verdict,
        decided_by=by,
        decided_at=timezone.now(),
    )


@pytest.fixture
def data(biller, other_biller, supervisor):
    """Four March claims of two billers and two payers, a voided one, and one from January.

    c1 biller/Medicare, c2 biller/Acme (flagged), c3 other/Medicare (clean), c4 other/Acme; c5 voided;
    c6 biller/Medicare with a date of service in January."""
    medicare = make_payer()
    acme = make_payer("Acme Commercial", PayerType.COMMERCIAL)
    ProcedureCode.objects.create(code="20610", system="CPT", label="Large joint injection", origin="starter")

    def claim(user, payer, dos, status, first_risk, first_day):
        return make_claim(
            user,
            payer=payer,
            date_of_service=dos,
            status=status,
            first_check_risk=first_risk,
            first_checked_at=at(first_day),
            risk=first_risk,
        )

    c1 = claim(biller, medicare, date(2026, 3, 2), ClaimStatus.CHECKED, Risk.HIGH, date(2026, 3, 3))
    c2 = claim(biller, acme, date(2026, 3, 10), ClaimStatus.FLAGGED, Risk.MEDIUM, date(2026, 3, 10))
    c3 = claim(other_biller, medicare, date(2026, 3, 12), ClaimStatus.READY, Risk.NONE, date(2026, 3, 12))
    c4 = claim(other_biller, acme, date(2026, 3, 20), ClaimStatus.CHECKED, Risk.NONE, date(2026, 3, 20))
    c5 = claim(biller, medicare, date(2026, 3, 5), ClaimStatus.VOIDED, Risk.HIGH, date(2026, 3, 5))
    c6 = claim(biller, medicare, date(2026, 1, 15), ClaimStatus.CHECKED, Risk.LOW, date(2026, 1, 16))

    finding(c1, "PTP-MI0", code="20610", override="Separate site.")
    finding(c1, "MUE-LINE", line=2, code="96372")
    finding(c1, "FMT-NPI-LUHN", line=None)
    finding(c2, "PTP-MI0", code="20610", override="Documented.")
    finding(c2, "PTP-MI1-NOMOD", line=2, code="99213")
    finding(c4, "MUE-LINE", code="96372", override="Two sites.")
    finding(c5, "PTP-MI0", code="20610", override="Voided anyway.")
    finding(c6, "COD-EFFECTIVE", code="99499")

    r2 = review(c2, QueueReason.FLAGGED, age=timedelta(days=2))
    review(c1, QueueReason.RISK_SAMPLE, age=timedelta(hours=5))
    review(c4, QueueReason.RANDOM_SAMPLE, age=timedelta(days=10))
    r3 = review(c3, QueueReason.RISK_SAMPLE, age=timedelta(days=20), outcome="approved")
    r5 = review(c5, QueueReason.FLAGGED, age=timedelta(hours=1))
    r6 = review(c6, QueueReason.FLAGGED, age=timedelta(days=4))
    decision(r2, "PTP-MI0", OverrideDecisionChoice.REJECTED, supervisor)
    decision(r3, "MUE-LINE", OverrideDecisionChoice.ACCEPTED, supervisor)
    decision(r3, "PTP-MI0", OverrideDecisionChoice.ACCEPTED, supervisor, line=2)
    decision(r5, "PTP-MI0", OverrideDecisionChoice.REJECTED, supervisor)
    decision(r6, "MUE-LINE", OverrideDecisionChoice.REJECTED, supervisor)
    return {"medicare": medicare, "acme": acme, "claims": [c1, c2, c3, c4, c5, c6]}


def csv_rows(client, chart: str, **filters) -> list[list[str]]:
    response = client.get(CSV_URL, {"chart": chart, **MARCH, **filters})
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode())))


def body(client, chart: str, **filters) -> list[list[str]]:
    """The CSV's rows without the header."""
    return csv_rows(client, chart, **filters)[1:]


def cells_of(row: str) -> list[str]:
    """A table row's cells as text; the details under a row's label (a rule's title) count as cells."""
    cells = []
    for _tag, inner in re.findall(r"<(th|td)[^>]*>(.*?)</\1>", row, re.S):
        details = re.findall(r"<span[^>]*dashboard-detail[^>]*>(.*?)</span>", inner, re.S)
        if details:
            inner = re.sub(r"<span.*?</span>", "", inner, flags=re.S)
        cells += [unescape(strip_tags(text)).strip() for text in (inner, *details)]
    return cells


def table(html: str, chart: str) -> dict[str, list[list[str]]]:
    """The page's table of a chart: header, body and footer rows as the cells' text, and the body's data-value
    attributes (the numbers the chart is drawn from)."""
    match = re.search(rf'<table[^>]*data-chart="{chart}".*?</table>', html, re.S)
    assert match, f"no table for {chart}"

    def rows(part: str) -> list[str]:
        found = re.search(rf"<{part}>(.*?)</{part}>", match.group(0), re.S)
        return re.findall(r"<tr[^>]*>(.*?)</tr>", found.group(1), re.S) if found else []

    return {
        "head": [cells_of(row) for row in rows("thead")],
        "body": [cells_of(row) for row in rows("tbody")],
        "foot": [cells_of(row) for row in rows("tfoot")],
        "values": [re.findall(r'data-value="([^"]*)"', row) for row in rows("tbody")],
    }


# --- each chart's numbers ---------------------------------------------------------------------------------
def test_findings_by_category(supervisor_client, data):
    assert csv_rows(supervisor_client, "by_category") == [
        ["Category", "Findings", "Claims"],
        ["NCCI PTP (unbundling)", "3", "2"],
        ["MUE (units)", "2", "2"],
        ["Format", "1", "1"],
    ]


def test_findings_by_rule(supervisor_client, data):
    assert csv_rows(supervisor_client, "by_rule") == [
        ["Rule", "What it checks", "Findings", "Claims"],
        ["MUE-LINE", "MUE line edit exceeded (MAI 1)", "2", "2"],
        ["PTP-MI0", "Code pair never separately payable", "2", "2"],
        ["FMT-NPI-LUHN", "NPI fails the check digit", "1", "1"],
        ["PTP-MI1-NOMOD", "Bypassable code pair billed without a valid bypass modifier", "1", "1"],
    ]


def test_findings_by_payer_and_by_biller(supervisor_client, data):
    assert body(supervisor_client, "by_payer") == [["Acme Commercial", "3", "2"], ["Medicare Part B", "3", "1"]]
    assert body(supervisor_client, "by_biller") == [["biller", "5", "2"], ["biller2", "1", "1"]]


def test_biller_is_named_by_full_name_and_username(supervisor_client, data, biller):
    biller.first_name, biller.last_name = "Ana", "Lopez"
    biller.save()
    assert body(supervisor_client, "by_biller")[0] == ["Ana Lopez (biller)", "5", "2"]


def test_override_rate_by_rule(supervisor_client, data):
    assert csv_rows(supervisor_client, "override_rate") == [
        ["Rule", "What it checks", "Findings", "Overridden", "Override rate (%)"],
        ["PTP-MI0", "Code pair never separately payable", "2", "2", "100.0"],
        ["MUE-LINE", "MUE line edit exceeded (MAI 1)", "2", "1", "50.0"],
        ["FMT-NPI-LUHN", "NPI fails the check digit", "1", "0", "0.0"],
        ["PTP-MI1-NOMOD", "Bypassable code pair billed without a valid bypass modifier", "1", "0", "0.0"],
    ]


def test_rejection_rate_by_rule(supervisor_client, data):
    # c5 (voided) and c6 (January) have rejected decisions too: left out.
    assert csv_rows(supervisor_client, "rejection_rate") == [
        ["Rule", "What it checks", "Decisions", "Rejected", "Rejection rate (%)"],
        ["PTP-MI0", "Code pair never separately payable", "2", "1", "50.0"],
        ["MUE-LINE", "MUE line edit exceeded (MAI 1)", "1", "0", "0.0"],
    ]


def test_clean_at_first_check_by_week(supervisor_client, data):
    # Weeks from Monday: c1 (Tue 3 March) alone; c2 (Tue 10) and c3 (Thu 12, clean); c4 (Fri 20, clean).
    assert csv_rows(supervisor_client, "clean_first_check") == [
        ["Week of (Monday)", "Claims checked", "Clean", "Clean share (%)"],
        ["2026-03-02", "1", "0", "0.0"],
        ["2026-03-09", "2", "1", "50.0"],
        ["2026-03-16", "1", "1", "100.0"],
    ]


def test_clean_at_first_check_selects_claims_by_the_day_of_their_first_check(supervisor_client, data, biller):
    make_claim(
        biller,
        date_of_service=date(2026, 2, 20),  # February service, first checked on Monday 2 March
        first_check_risk=Risk.NONE,
        first_checked_at=at(date(2026, 3, 2), hour=9),
    )
    assert body(supervisor_client, "clean_first_check")[0] == ["2026-03-02", "2", "1", "50.0"]


def test_codes_behind_most_findings(supervisor_client, data):
    # Claim-level findings (no code) are left out; the label comes from the code table when it has the code.
    assert csv_rows(supervisor_client, "top_codes") == [
        ["Code", "Label", "Findings", "Claims"],
        ["20610", "Large joint injection", "2", "2"],
        ["96372", "", "2", "2"],
        ["99213", "", "1", "1"],
    ]


def test_queue_size_and_age_ignores_the_dates(supervisor_client, data):
    # Open reviews: c2 flagged 2 days, c6 flagged 4 days (January service: still counted), c1 risk sample
    # 5 hours, c4 random sample 10 days; c3's review is decided, c5 is voided. Every reason has its row.
    rows = csv_rows(supervisor_client, "queue")
    assert rows[0] == ["Reason", "Under 1 day", "1–3 days", "3–7 days", "Over 7 days", "Waiting", "Oldest (days)"]
    assert [row[0] for row in rows[1:]] == QueueReason.labels
    by_reason = dict(zip(QueueReason.values, rows[1:], strict=True))
    assert by_reason[QueueReason.FLAGGED] == ["Flagged (errors overridden)", "0", "1", "1", "0", "2", "4.0"]
    assert by_reason[QueueReason.RISK_SAMPLE] == ["Risk-weighted sample", "1", "0", "0", "0", "1", "0.2"]
    assert by_reason[QueueReason.RANDOM_SAMPLE] == ["Random sample", "0", "0", "0", "1", "1", "10.0"]
    others = [row for reason, row in by_reason.items() if reason not in ("flagged", "risk_sample", "random_sample")]
    assert all(row[1:] == ["0", "0", "0", "0", "0", ""] for row in others)


def waiting(rows) -> dict[str, int]:
    return {row["reason_code"]: row["total"] for row in rows if row["total"]}


def test_queue_honours_payer_and_biller(data, other_biller):
    acme = review_queue(DashboardFilters(payer_id=data["acme"].pk))
    assert waiting(acme) == {"flagged": 1, "random_sample": 1}
    assert next(row for row in acme if row["reason_code"] == "risk_sample")["oldest_days"] is None
    assert waiting(review_queue(DashboardFilters(biller_id=other_biller.pk))) == {"random_sample": 1}


# --- filters ----------------------------------------------------------------------------------------------
def test_payer_filter(supervisor_client, data):
    medicare = str(data["medicare"].pk)
    assert body(supervisor_client, "by_category", payer=medicare) == [  # ties: in the order of the category codes
        ["Format", "1", "1"],
        ["MUE (units)", "1", "1"],
        ["NCCI PTP (unbundling)", "1", "1"],
    ]
    assert body(supervisor_client, "clean_first_check", payer=medicare) == [
        ["2026-03-02", "1", "0", "0.0"],
        ["2026-03-09", "1", "1", "100.0"],
    ]
    assert body(supervisor_client, "rejection_rate", payer=medicare) == [
        ["MUE-LINE", "MUE line edit exceeded (MAI 1)", "1", "0", "0.0"],
        ["PTP-MI0", "Code pair never separately payable", "1", "0", "0.0"],
    ]


def test_biller_filter(supervisor_client, data, other_biller):
    mine = str(other_biller.pk)
    assert body(supervisor_client, "by_rule", biller=mine) == [["MUE-LINE", "MUE line edit exceeded (MAI 1)", "1", "1"]]
    assert body(supervisor_client, "by_payer", biller=mine) == [["Acme Commercial", "1", "1"]]
    assert body(supervisor_client, "top_codes", biller=mine) == [["96372", "", "1", "1"]]
    assert [row[5] for row in body(supervisor_client, "queue", biller=mine)][:3] == ["0", "0", "1"]  # c6: biller's


def test_date_filter(supervisor_client, data):
    assert body(supervisor_client, "by_category", dos_from="2026-03-11") == [["MUE (units)", "1", "1"]]
    assert body(supervisor_client, "by_category", dos_to="2026-03-09") == [
        ["Format", "1", "1"],
        ["MUE (units)", "1", "1"],
        ["NCCI PTP (unbundling)", "1", "1"],
    ]
    everything = body(supervisor_client, "by_category", dos_from="", dos_to="")
    assert ["Code validity", "1", "1"] in everything  # c6, January
    assert ["NCCI PTP (unbundling)", "3", "2"] in everything  # c5 (voided) still left out
    assert body(supervisor_client, "clean_first_check", dos_from="", dos_to="")[0] == ["2026-01-12", "1", "0", "0.0"]


def test_voided_claims_are_left_out_everywhere(data):
    filters = DashboardFilters(dos_from=date(2026, 3, 5), dos_to=date(2026, 3, 5))  # only c5, voided
    for chart in CHARTS.values():
        rows = chart.rows_for(filters)
        if chart.name == "queue":
            assert sum(row["total"] for row in rows) == 4  # the queue ignores dates: c1, c2, c4, c6, not c5
        else:
            assert rows == [], chart.name


def test_first_load_shows_the_last_90_days(supervisor_client, biller):
    today = timezone.localdate()
    recent = make_claim(biller, date_of_service=today - timedelta(days=89))
    old = make_claim(biller, date_of_service=today - timedelta(days=90))
    finding(recent, "PTP-MI0", code="20610")
    finding(old, "MUE-LINE", code="96372")
    response = supervisor_client.get(URL)
    html = response.content.decode()
    assert f'value="{(today - timedelta(days=89)).isoformat()}"' in html
    assert f'value="{today.isoformat()}"' in html
    assert table(html, "by_category")["body"] == [["NCCI PTP (unbundling)", "1", "1"]]
    csv_link = re.search(r'href="([^"]*chart=by_category[^"]*)"', html)[1]
    assert f"dos_from={(today - timedelta(days=89)).isoformat()}" in unescape(csv_link)
    response = supervisor_client.get(unescape(csv_link))
    assert list(csv.reader(io.StringIO(response.content.decode())))[1:] == [["NCCI PTP (unbundling)", "1", "1"]]


def test_a_to_date_before_the_from_date_is_a_form_error(supervisor_client, data):
    response = supervisor_client.get(URL, {"dos_from": "2026-03-31", "dos_to": "2026-03-01"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "is before the “from” date" in unescape(html)
    assert re.search(r'<input[^>]*name="dos_to"[^>]*is-invalid|<input[^>]*is-invalid[^>]*name="dos_to"', html)
    assert 'data-chart="' not in html
    assert 'data-testid="dashboard-invalid"' in html
    response = supervisor_client.get(CSV_URL, {"chart": "by_rule", "dos_from": "2026-03-31", "dos_to": "2026-03-01"})
    assert response.status_code == 400


def test_a_malformed_filter_value_is_a_form_error_not_a_500(supervisor_client, data):
    response = supervisor_client.get(URL, {"dos_from": "yesterday", "payer": "999999", "biller": "x"})
    assert response.status_code == 200
    assert response.content.decode().count("is-invalid") >= 3


# --- the page -------------------------------------------------------------------------------------------
def test_page_shows_each_chart_with_its_table(supervisor_client, data):
    response = supervisor_client.get(URL, MARCH)
    assert response.status_code == 200
    html = response.content.decode()
    for name, chart in CHARTS.items():
        assert f'data-chart-card="{name}"' in html
        canvas = re.search(rf'<canvas id="{name}-chart"[^>]*>', html)[0]
        assert 'role="img"' in canvas
        assert "aria-label=" in canvas and chart.title.lower() in unescape(canvas).lower()
        assert f'data-chart-canvas="{name}-chart"' in html
        # The table's numbers are the CSV's (the data-value of every cell, one source).
        assert table(html, name)["values"] == body(supervisor_client, name), name
    assert table(html, "by_category")["body"] == [
        ["NCCI PTP (unbundling)", "3", "2"],
        ["MUE (units)", "2", "2"],
        ["Format", "1", "1"],
    ]
    assert table(html, "override_rate")["body"][1] == ["MUE-LINE", "MUE line edit exceeded (MAI 1)", "2", "1", "50.0 %"]
    assert table(html, "clean_first_check")["body"][1] == ["03/09/2026", "2", "1", "50.0 %"]
    queue = table(html, "queue")
    assert queue["foot"] == [["All reasons", "1", "1", "1", "1", "4", "10.0"]]
    assert "4 claims waiting" in strip_tags(html).replace("\n", " ")


def test_csv_links_carry_the_chart_and_the_filters(supervisor_client, data):
    response = supervisor_client.get(URL, {**MARCH, "payer": data["acme"].pk})
    html = unescape(response.content.decode())
    link = re.search(r'href="(/claims/dashboard\.csv\?chart=by_payer[^"]*)"', html)[1]
    assert "dos_from=2026-03-01" in link and "dos_to=2026-03-31" in link and f"payer={data['acme'].pk}" in link
    assert list(csv.reader(io.StringIO(supervisor_client.get(link).content.decode()))) == [
        ["Payer", "Findings", "Claims"],
        ["Acme Commercial", "3", "2"],
    ]


def test_page_loads_its_script_and_styles_from_static_files_only(supervisor_client, data):
    html = supervisor_client.get(URL, MARCH).content.decode()
    assert "vendor/chartjs/chart.umd.min.js" in html
    assert "js/dashboard.js" in html
    assert "css/dashboard.css" in html
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline script"
    assert not re.search(r"<style", html) and ' style="' not in html, "inline style"
    assert "cdn" not in html.lower()


def test_empty_dashboard_says_so(supervisor_client):
    response = supervisor_client.get(URL)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="empty-by_rule"' in html
    assert 'data-testid="empty-queue"' in html
    assert "0 claims waiting" in strip_tags(html)


def test_chartjs_is_vendored_without_a_missing_source_map():
    path = finders.find("vendor/chartjs/chart.umd.min.js")
    assert path
    text = Path(path).read_text(encoding="utf-8")
    assert "sourceMappingURL" not in text
    assert text.startswith("/*!\n * Chart.js v4.")
    folder = Path(path).parent
    assert (folder / "LICENSE.md").exists()
    assert (folder / "VERSION").read_text().startswith("Chart.js 4.")
    assert finders.find("js/dashboard.js") and finders.find("css/dashboard.css")


# --- who may see it -------------------------------------------------------------------------------------
def test_url_names():
    assert URL == "/claims/dashboard/"
    assert CSV_URL == "/claims/dashboard.csv"


def test_biller_is_refused_page_and_csv(biller_client, data):
    assert biller_client.get(URL).status_code == 403
    assert biller_client.get(CSV_URL, {"chart": "by_rule"}).status_code == 403


def test_anonymous_visitor_is_sent_to_the_login_page(client):
    for url in (URL, f"{CSV_URL}?chart=by_rule"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_superuser_sees_the_dashboard(admin_client_logged, data):
    assert admin_client_logged.get(URL, MARCH).status_code == 200
    assert admin_client_logged.get(CSV_URL, {"chart": "queue"}).status_code == 200


def test_unknown_or_missing_chart_is_404(supervisor_client):
    assert supervisor_client.get(CSV_URL, {"chart": "patients"}).status_code == 404
    assert supervisor_client.get(CSV_URL).status_code == 404


def test_csv_has_a_header_a_file_name_and_neutralised_formulas(supervisor_client, data):
    data["acme"].name = "=HYPERLINK(1)"
    data["acme"].save()
    response = supervisor_client.get(CSV_URL, {"chart": "by_payer", **MARCH})
    assert 'filename="claimdesk-by-payer-2026-03-01-2026-03-31.csv"' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["Payer", "Findings", "Claims"]
    assert ["'=HYPERLINK(1)", "3", "2"] in rows


def test_nav_links_to_the_dashboard_for_supervisors(supervisor_client):
    assert f'href="{URL}"' in supervisor_client.get(reverse("claims:claim_list")).content.decode()


# --- queries --------------------------------------------------------------------------------------------
def _fill(count: int, users, payers, supervisor, start: int) -> None:
    for index in range(start, start + count):
        claim = make_claim(
            users[index % len(users)],
            payer=payers[index % len(payers)],
            date_of_service=date(2026, 3, 1 + index % 28),
            status=ClaimStatus.FLAGGED,
            first_check_risk=[Risk.NONE, Risk.HIGH][index % 2],
            first_checked_at=at(date(2026, 3, 1 + index % 28)),
        )
        finding(claim, "PTP-MI0", code=["20610", "99213", "96372"][index % 3], override="Because.")
        finding(claim, "MUE-LINE", line=2, code="96372")
        finding(claim, "FMT-NPI-LUHN", line=None)
        made = review(claim, [QueueReason.FLAGGED, QueueReason.RANDOM_SAMPLE][index % 2], age=timedelta(days=index))
        decision(
            made, "PTP-MI0", [OverrideDecisionChoice.ACCEPTED, OverrideDecisionChoice.REJECTED][index % 2], supervisor
        )


@pytest.mark.parametrize("filters", [MARCH, {}, {**MARCH, "dos_from": ""}])
def test_the_number_of_queries_does_not_grow_with_the_claims(
    supervisor_client, biller, other_biller, supervisor, filters
):
    payers = [make_payer(), make_payer("Acme Commercial", PayerType.COMMERCIAL)]
    users = [biller, other_biller]
    _fill(2, users, payers, supervisor, 0)
    supervisor_client.get(URL, filters)  # the session and permissions warmed up alike for both counts
    with CaptureQueriesContext(connection) as few:
        assert supervisor_client.get(URL, filters).status_code == 200
    _fill(28, users, payers, supervisor, 2)
    with CaptureQueriesContext(connection) as many:
        response = supervisor_client.get(URL, filters)
    assert len(many) == len(few), [q["sql"][:120] for q in many.captured_queries]
    if filters:
        assert table(response.content.decode(), "by_rule")["body"][0][2] == "30"
    assert len(few) <= 16
    with CaptureQueriesContext(connection) as one_csv:
        supervisor_client.get(CSV_URL, {"chart": "by_rule", **filters})
    assert len(one_csv) <= 6


def test_selectors_take_plain_filters(data):
    assert findings_by_category(DashboardFilters(dos_from=date(2026, 3, 20))) == [
        {"category": "MUE (units)", "category_code": "MUE", "findings": 1, "claims": 1}
    ]
