"""Code look-up pages for the billing team: a searchable list and one page per code."""

from __future__ import annotations

import re
from datetime import date, datetime

from django.db.models import Case, Exists, F, IntegerField, OuterRef, QuerySet, Subquery, Value, When
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.views.decorators.http import require_GET
from django_filters.views import FilterView
from django_tables2 import RequestConfig, SingleTableMixin

from codes.validators import date_range_problem, has_unpaired_surrogate, without_unpaired_surrogates

from .choices import ACTION_CODES, COVERAGE_CODES, FEE_SCHEDULE_STATUS, MUE_SOURCE, PTP_SOURCE, CodeSystem, Source
from .classify import classify
from .filtersets import ProcedureCodeFilterSet, search_q
from .icd10cm import fiscal_year, fiscal_year_end, fiscal_year_start
from .models import AddOnEdit, ASPLimit, FeeScheduleIndicator, MUELimit, NDCCrosswalk, ProcedureCode, PTPEdit
from .selectors import CodeSetCoverage, ReleaseTimeline, diagnosis_search, icd10cm_edition_for
from .tables import AddOnTable, NDCTable, ProcedureCodeTable, PTPPartnerTable, code_status

FEE_INDICATORS = (
    ("pctc_indicator", "PC/TC indicator"),
    ("global_days", "Global days"),
    ("multiple_procedure", "Multiple procedure"),
    ("bilateral_surgery", "Bilateral surgery"),
    ("assistant_surgery", "Assistant at surgery"),
    ("co_surgery", "Co-surgeons"),
    ("team_surgery", "Team surgery"),
)

PER_PAGE = 25


class CodeListView(SingleTableMixin, FilterView):
    """Search CPT and HCPCS Level II codes by code prefix or words; filter by system, section, status, flags."""

    model = ProcedureCode
    table_class = ProcedureCodeTable
    filterset_class = ProcedureCodeFilterSet
    template_name = "codes/code_list.html"
    paginate_by = 50

    def get_table_kwargs(self):
        return {"on": self.filterset.on_date, "caption": "Procedure codes", "code_coverage": self.code_coverage}

    def get_filterset(self, filterset_class):
        """The filter set, then what the loaded data can say about the codes on its date: each code is
        annotated with whether the fee-schedule file covering that date lists it (one subquery)."""
        filterset = super().get_filterset(filterset_class)
        timeline = ReleaseTimeline.load([Source.CPT, Source.HCPCS, Source.PFS_RVU])
        coverage = self.code_coverage = CodeSetCoverage.on(timeline, filterset.on_date)
        if coverage.fee_release is not None:
            listed = FeeScheduleIndicator.objects.filter(release=coverage.fee_release, code=OuterRef("code"))
            filterset.queryset = filterset.queryset.annotate(in_fee_schedule=Exists(listed))
        return filterset


def _with_partner(queryset: QuerySet, partner_field: str) -> QuerySet:
    """Annotate the other code of an edit and its label, in the same query (no per-row look-ups)."""
    partner = ProcedureCode.objects.filter(code=OuterRef(partner_field))
    return queryset.annotate(
        partner=F(partner_field),
        partner_label=Subquery(partner.values("label")[:1]),
        partner_short=Subquery(partner.values("short_description")[:1]),
    )


def _table(request, table_class, queryset: QuerySet, prefix: str, caption: str):
    table = table_class(queryset, prefix=prefix, caption=caption, empty_text="None in the loaded release.")
    RequestConfig(request, paginate={"per_page": PER_PAGE}).configure(table)
    return table


# What can be a procedure code at all: anything else (NUL, control characters, a lone surrogate, 5,000
# characters) is not looked up, and is answered "not found" without reaching the database.
_CODE_TEXT = re.compile(r"^[0-9A-Z]{1,16}$")
SHOWN_CODE_MAX = 20
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def shown_code(text: str) -> str:
    """Typed text as a page may show it: printable, and cut short when long."""
    text = _UNPRINTABLE.sub("\ufffd", without_unpaired_surrogates(text))
    return text if len(text) <= SHOWN_CODE_MAX else f"{text[:SHOWN_CODE_MAX]}…"


def code_detail(request, code: str):
    """Everything the engine knows about one code, from the newest loaded release of each table."""
    code = code.strip().upper()
    procedure = None
    if _CODE_TEXT.match(code):
        procedure = ProcedureCode.objects.select_related("release").filter(code=code).first()
    if procedure is None:
        shown = shown_code(code)
        return render(request, "codes/code_not_found.html", {"code": shown, "result": classify(shown)}, status=404)

    timeline = ReleaseTimeline.load()
    newest = {source: timeline.newest(source) for source in Source}
    today = timezone.localdate()

    fee_release = newest[Source.PFS_RVU]
    fee_rows = list(FeeScheduleIndicator.objects.filter(release=fee_release, code=code)) if fee_release else []
    for row in fee_rows:
        row.status_meaning = FEE_SCHEDULE_STATUS.get(row.status, "")
        row.indicators = [(label, getattr(row, name)) for name, label in FEE_INDICATORS]

    mue_by_type = {row.service_type: row for row in _snapshot(MUELimit, newest, MUE_SOURCE.values(), code=code)}
    mue_rows = [
        (service_type, newest[source], mue_by_type.get(service_type.value))
        for service_type, source in MUE_SOURCE.items()
    ]

    ptp_ids = [newest[source].pk for source in PTP_SOURCE.values() if newest[source]]
    ptp = PTPEdit.objects.filter(release_id__in=ptp_ids) if ptp_ids else PTPEdit.objects.none()
    aoc_release = newest[Source.AOC]
    aoc = AddOnEdit.objects.filter(release=aoc_release) if aoc_release else AddOnEdit.objects.none()
    ndc_release = newest[Source.NDC_CROSSWALK]
    ndc = NDCCrosswalk.objects.filter(release=ndc_release, code=code) if ndc_release else NDCCrosswalk.objects.none()
    asp_release = newest[Source.ASP]

    coverage = CodeSetCoverage.on(timeline, today)
    listed = coverage.fee_release is not None and (
        FeeScheduleIndicator.objects.filter(release=coverage.fee_release, code=code).exists()
    )
    context = {
        "code": procedure,
        "status": code_status(procedure, today, doubt=coverage.doubt(procedure, listed=listed)),
        "today": today,
        "classification": classify(code),
        "is_cpt": procedure.system == CodeSystem.CPT,
        "cpt_file_loaded": any(not release.is_starter for release in timeline.releases(Source.CPT)),
        "action_meaning": ACTION_CODES.get(procedure.action_code, ""),
        "coverage_meaning": COVERAGE_CODES.get(procedure.coverage_code, ""),
        "fee_release": fee_release,
        "fee_rows": fee_rows,
        "mue_rows": mue_rows,
        "ptp_releases": [newest[source] for source in PTP_SOURCE.values() if newest[source]],
        "ptp_as_column_1": _table(
            request,
            PTPPartnerTable,
            _with_partner(ptp.filter(column_1=code), "column_2"),
            "c1-",
            f"Column 2 codes not paid with {code} (it is column 1)",
        ),
        "ptp_as_column_2": _table(
            request,
            PTPPartnerTable,
            _with_partner(ptp.filter(column_2=code), "column_1"),
            "c2-",
            f"Column 1 codes that {code} is not paid with (it is column 2)",
        ),
        "aoc_release": aoc_release,
        "addon_primaries": _table(
            request,
            AddOnTable,
            _with_partner(aoc.filter(add_on_code=code), "primary_code"),
            "primaries-",
            f"Primary codes add-on {code} may be billed with",
        ),
        "addons_for_primary": _table(
            request,
            AddOnTable,
            _with_partner(aoc.filter(primary_code=code), "add_on_code"),
            "addons-",
            f"Add-on codes for which {code} is a primary",
        ),
        "asp_release": asp_release,
        "asp": ASPLimit.objects.filter(release=asp_release, code=code).first() if asp_release else None,
        "ndc_release": ndc_release,
        "ndc_table": _table(request, NDCTable, ndc, "ndc-", f"NDCs billed under {code}"),
    }
    return render(request, "codes/code_detail.html", context)


def _snapshot(model, newest, sources, *, code: str) -> list:
    release_ids = [newest[source].pk for source in sources if newest[source]]
    if not release_ids:
        return []
    return list(model.objects.filter(release_id__in=release_ids, code=code))


# --- autocomplete of the claim entry form's code fields ------------------------------------------

AUTOCOMPLETE_LIMIT = 10
AUTOCOMPLETE_MIN_CHARS = 2
AUTOCOMPLETE_MAX_CHARS = 100  # longer text is no code and no label
# The beginning of a CPT code (digits, then the Category II/III/PLA letter) or of a HCPCS Level II code (a letter,
# then digits): such text is looked up by code prefix first.
_CODE_START = re.compile(r"^(?:\d{1,5}|\d{4}[A-Z]|[A-Z]\d{1,4})$", re.IGNORECASE)
_US_DATE = "%m/%d/%Y"


def autocomplete_text(params: QueryDict) -> str:
    """What the biller typed: ``q``, else the first parameter named like a code input (``lines-3-code``)."""
    text = params.get("q", "").strip()
    if text:
        return text
    for name in params:
        if name.endswith("code"):
            return params[name].strip()
    return ""


def _parse_dos(value: str) -> date | None:
    """A date of service typed as YYYY-MM-DD or MM/DD/YYYY, within 1900–2100; else None."""
    value = value.strip()
    try:
        day = parse_date(value) or datetime.strptime(value, _US_DATE).date()
    except ValueError:
        return None
    return None if date_range_problem(day) else day


def autocomplete_date_of_service(params: QueryDict) -> date:
    """``dos``, else a line's ``lines-N-date_of_service``, else the claim's ``date_of_service``, else today.

    Empty and unreadable dates are passed over: the statuses are then judged on the next date in that order.
    """
    candidates = [params["dos"]] if "dos" in params else []
    line_level = [name for name in params if name.endswith("date_of_service") and name != "date_of_service"]
    candidates += [params[name] for name in line_level]
    if "date_of_service" in params:
        candidates.append(params["date_of_service"])
    for value in candidates:
        parsed = _parse_dos(value) if value.strip() else None
        if parsed:
            return parsed
    return timezone.localdate()


def autocomplete_codes(text: str, limit: int = AUTOCOMPLETE_LIMIT) -> list[ProcedureCode]:
    """Codes matching a code prefix or words (the look-up's search), exact code first, then code prefix, then code.

    One query. Text shorter than two characters matches nothing.
    """
    text = text.strip()
    if len(text) < AUTOCOMPLETE_MIN_CHARS or len(text) > AUTOCOMPLETE_MAX_CHARS:
        return []
    if "\x00" in text or has_unpaired_surrogate(text):  # cannot be in any code or label (nor sent to PostgreSQL)
        return []
    code = text.upper()
    rank = Value(2)
    if _CODE_START.match(text):
        rank = Case(
            When(code=code, then=Value(0)),
            When(code__startswith=code, then=Value(1)),
            default=Value(2),
            output_field=IntegerField(),
        )
    queryset = (
        ProcedureCode.objects.filter(search_q(text))
        .annotate(rank=rank)
        .order_by("rank", "code")
        .only("code", "section", "label", "short_description", "added_date", "termination_date")
    )
    return list(queryset[:limit])


def autocomplete_status(code: ProcedureCode, dos: date) -> str:
    """``terminated`` or ``not_yet`` when the code is not valid on the date of service, else empty."""
    if code.termination_date and code.termination_date < dos:
        return "terminated"
    if code.added_date and code.added_date > dos:
        return "not_yet"
    return ""


@require_GET
def code_autocomplete(request: HttpRequest) -> HttpResponse:
    """htmx partial for a code field of the claim entry form: up to ten codes, with their status on the DOS."""
    text = autocomplete_text(request.GET)
    dos = autocomplete_date_of_service(request.GET)
    codes = autocomplete_codes(text)
    for code in codes:
        code.autocomplete_status = autocomplete_status(code, dos)
    context = {
        "text": text,
        "searched": len(text) >= AUTOCOMPLETE_MIN_CHARS,
        "codes": codes,
        "dos": dos,
    }
    return render(request, "codes/_autocomplete.html", context)


# --- diagnosis (ICD-10-CM) look-up -----------------------------------------------------------------


def diagnosis_text(params: QueryDict) -> str:
    """What the biller typed: ``q``, else the first parameter named like a diagnosis input (``diagnosis_1``)."""
    text = params.get("q", "").strip()
    if text:
        return text
    for name in params:
        if "diagnosis" in name:
            return params[name].strip()
    return ""


@require_GET
def diagnosis_lookup(request: HttpRequest) -> HttpResponse:
    """htmx partial: up to twenty ICD-10-CM codes of the edition of the date of service's fiscal year, matching
    a code beginning or words (``?q=fibroid&dos=2025-03-01``), each billable or a header. Without an edition
    loaded for that fiscal year it says so (another year's codes are never offered)."""
    text = diagnosis_text(request.GET)
    dos = autocomplete_date_of_service(request.GET)
    edition = icd10cm_edition_for(dos)
    codes = diagnosis_search(edition, text) if edition else []
    year = fiscal_year(dos)
    context = {
        "text": shown_code(text),
        "searched": len(text) >= AUTOCOMPLETE_MIN_CHARS,
        "codes": codes,
        "dos": dos,
        "edition": edition,
        "fiscal_year": year,
        "fiscal_year_start": fiscal_year_start(year),
        "fiscal_year_end": fiscal_year_end(year),
    }
    return render(request, "codes/_diagnosis_lookup.html", context)
