"""Claim entry: the form with its lines, the live check (htmx), and submitting.

One page does it all. As the biller types, the form is posted (debounced) to ``live_check``, which runs the
rules on the claim as entered, saving nothing, and answers with the risk summary and, out of band, the
findings under each line. Without JavaScript the *Check* button posts the whole form: the claim is saved,
checked, and the page shows the same findings. *Submit* saves, checks once more and sends the claim on
(``services.claim_submit``); errors left must be acknowledged, each with a written reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_POST

from codes.models import ProcedureCode
from codes.validators import has_unpaired_surrogate, unpaired_surrogate_problem, without_unpaired_surrogates

from . import services
from .check_input import CheckResult
from .choices import ProviderKind, Severity
from .forms import MAX_LINES, ClaimForm, EntryError, LineFormSet, LineReading, read_lines, too_many_lines
from .models import Claim, ClaimLine, Patient, Provider
from .rules import Finding
from .selectors import claim_findings, claims_visible_to, patient_matching_member
from .views import returned_review

ACK_PREFIX = "ack-"
SELECT_NAME = "select-ack"  # checkboxes: the findings one reason acknowledges together
SELECT_REASON = "select-reason"  # that reason
TOUCHED = "touched"  # the live check: the fields the biller has left (claim-entry.js); absent: every field
CLAIM_SCOPE = "claim"
ACTIONS = ("save", "check", "submit", "add_line")
TOO_MANY_LINES = f"A claim has at most {MAX_LINES} service lines (the 837P limit); only the first {MAX_LINES} are read."


def _posted_number(value: str | None) -> int | None:
    """A whole number as posted (ASCII digits only, at most 9 of them), or None."""
    value = (value or "").strip()
    return int(value) if re.fullmatch(r"[0-9]{1,9}", value) else None


def editable_claim(request: HttpRequest, pk: int) -> Claim:
    """A claim the user may change: their own, or any for supervisors; 404 for claims they cannot see."""
    claim = get_object_or_404(claims_visible_to(request.user).select_related("payer", "patient"), pk=pk)
    if not request.user.has_perm("claims.change_claim"):
        raise PermissionDenied
    return claim


# --- what the page shows ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class ShownFinding:
    """A finding of the check as the entry page shows it, with the field for the biller's reason."""

    finding: Finding
    ack_name: str  # the reason's field: "ack-lines-3-DRG-ORAL-MEDICARE", "ack-claim-AUTH-MISSING"
    ack_value: str = ""  # the reason given so far
    ack_selected: bool = False  # picked for one shared reason
    acknowledgeable: bool = False  # a reason may send it on (not a note, not a typing error)


@dataclass
class LineView:
    prefix: str  # the line's form prefix, e.g. "lines-3": it names the findings box and the reasons
    number: int | None  # None for a deleted line
    form: Any = None  # the line's form on the full page; the live check renders findings only
    deleted: bool = False
    blank: bool = False  # a new line left empty: shown, not checked, not saved
    findings: list[ShownFinding] = field(default_factory=list)
    entry_errors: list[EntryError] = field(default_factory=list)
    is_drug: bool = False


@dataclass
class EntryState:
    """Everything the summary and the line partials render."""

    lines: list[LineView]
    result: CheckResult | None = None
    claim_findings: list[ShownFinding] = field(default_factory=list)
    header_errors: list[EntryError] = field(default_factory=list)
    waiting_for: str = ""  # what to fill in before the claim can be checked
    problems: int = 0  # entry problems (missing or mistyped fields), shown or not: the claim is incomplete
    hidden_problems: int = 0  # of those, the ones in fields the biller has not left yet (live check)
    selected: frozenset[str] = frozenset()  # findings picked for one shared reason
    select_reason: str = ""
    patient: Patient | None = None
    patient_claims: int = 0

    @property
    def counts(self) -> dict[str, int]:
        if self.result is None:
            return {}
        return {severity: self.result.count(severity) for severity in Severity.values}

    @property
    def acknowledgeable(self) -> list[ShownFinding]:
        """Every finding shown that a reason may send on (not notes, not typing errors)."""
        findings = [*self.claim_findings, *(f for view in self.lines for f in view.findings)]
        return [f for f in findings if f.acknowledgeable]


def _ack_name(scope: str, rule: str) -> str:
    return f"{ACK_PREFIX}{scope}-{rule}"


def _with_ack(
    findings: list[Finding], scope: str, reasons: dict[str, str], selected: frozenset[str] = frozenset()
) -> list[ShownFinding]:
    shown = []
    for finding in findings:
        name = _ack_name(scope, finding.rule)
        shown.append(
            ShownFinding(
                finding,
                ack_name=name,
                ack_value=reasons.get(name, ""),
                ack_selected=name in selected,
                acknowledgeable=finding.severity != Severity.INFO and services.acknowledgeable(finding.rule),
            )
        )
    return shown


def _field_errors(form) -> list[EntryError]:
    messages_ = []
    for name, errors in form.errors.items():
        field = form[name] if name in form.fields else None
        for error in errors:
            text = f"{field.label}: {error}" if field is not None and field.label else str(error)
            messages_.append(EntryError(text, field.auto_id if field is not None else ""))
    return messages_


def _drug_codes(codes: set[str]) -> set[str]:
    """Which of the codes are drugs (their lines get the NDC, dose and container fields); one query."""
    if not codes:
        return set()
    return set(ProcedureCode.objects.filter(code__in=codes, is_drug=True).values_list("code", flat=True))


def _claim_reasons(claim: Claim | None, line_prefix: dict[int, str]) -> dict[str, str]:
    """Override reasons stored with the claim's findings, as the page's field names."""
    if claim is None or claim.pk is None:
        return {}
    reasons = {}
    for finding in claim.findings.exclude(override_reason=""):
        scope = CLAIM_SCOPE if finding.line_number is None else line_prefix.get(finding.line_number)
        if scope:
            reasons[_ack_name(scope, finding.rule)] = finding.override_reason
    return reasons


def formset_readings(formset) -> list[LineReading]:
    """The formset's lines as ``build_state`` reads them (the live check reads the POST directly)."""
    if not formset.is_bound:
        return [
            LineReading(
                prefix=form.prefix, blank=form.instance.pk is None, line=form.instance if form.instance.pk else None
            )
            for form in formset.forms
        ]
    active = {id(form) for form in formset.active_forms()}
    readings = []
    for form in formset.forms:
        if formset.can_delete and formset._should_delete_form(form):
            readings.append(LineReading(prefix=form.prefix, deleted=True))
        elif id(form) not in active:
            readings.append(LineReading(prefix=form.prefix, blank=True))
        else:
            readings.append(LineReading(prefix=form.prefix, line=form.build_line(), errors=_field_errors(form)))
    return readings


def build_state(
    form: ClaimForm,
    readings: list[LineReading],
    *,
    user,
    claim: Claim | None,
    run_check: bool,
    reasons: dict[str, str] | None = None,
    forms: dict[str, Any] | None = None,
    extra_errors: list[EntryError] = (),
    selected: frozenset[str] = frozenset(),
    select_reason: str = "",
) -> EntryState:
    """Number the lines, run the rules on what is entered (when asked), and file each finding under its line."""
    forms = forms or {}
    line_views: list[LineView] = []
    number = 0
    for reading in readings:
        if reading.deleted:
            line_views.append(
                LineView(prefix=reading.prefix, number=None, form=forms.get(reading.prefix), deleted=True)
            )
            continue
        number += 1  # blank new lines are numbered where they stand, and not checked
        view = LineView(prefix=reading.prefix, number=number, form=forms.get(reading.prefix), blank=reading.blank)
        view.entry_errors = reading.errors
        line_views.append(view)
    state = EntryState(lines=line_views, selected=selected, select_reason=select_reason)
    entered = [
        (view, reading.line)
        for view, reading in zip(line_views, readings, strict=True)
        if not view.deleted and not view.blank and reading.line is not None and reading.line.code
    ]
    drugs = _drug_codes({line.code for _, line in entered})
    for view, line in entered:
        view.is_drug = line.code in drugs or line.has_drug_data

    if form.is_bound:
        state.header_errors = [*_field_errors(form), *extra_errors]
    state.problems = len(state.header_errors) + sum(len(view.entry_errors) for view in line_views)
    patient = form.build_patient() if form.is_bound else (claim.patient if claim and claim.pk else None)
    if patient is not None and patient.pk is None:
        patient = patient_matching_member(member_id=patient.member_id, date_of_birth=patient.date_of_birth) or patient
    state.patient = patient
    if patient is not None and patient.pk:
        # the patient's other claims this user may see: never a count of another biller's claims
        state.patient_claims = (
            claims_visible_to(user).filter(patient=patient).exclude(pk=claim.pk if claim else None).count()
        )
    if not run_check:
        return state

    if form.is_bound:
        data = getattr(form, "cleaned_data", {})
        needed = (("payer", "the payer"), ("date_of_service", "the date of service"))
        missing = [label for name, label in needed if not data.get(name)]
        if missing:
            state.waiting_for = " and ".join(missing)
            return state
        checked_claim = form.build_claim()
    else:
        checked_claim = claim
    if not entered:
        state.waiting_for = "a service line with a code"
        return state
    prefix_of: dict[int, str] = {}
    for view, line in entered:
        line.number = view.number
        prefix_of[view.number] = view.prefix
    state.result = claim_findings(
        claim=checked_claim, lines=[line for _, line in entered], patient=patient or Patient(sex="U")
    )
    if reasons is None:
        reasons = _claim_reasons(claim, prefix_of)
    state.claim_findings = _with_ack(state.result.claim_findings, CLAIM_SCOPE, reasons, selected)
    for view, _ in entered:
        view.findings = _with_ack(state.result.for_line(view.number), view.prefix, reasons, selected)
    return state


def only_touched(state: EntryState, touched: set[str] | None) -> EntryState:
    """Keep the entry problems of the fields the biller has left (``touched``: field names); None keeps all.

    A problem not tied to a field (too many lines, a bad reason) is always kept; the others still count in
    ``state.problems`` (the claim is incomplete), and ``hidden_problems`` says how many are not shown yet."""
    if touched is None:
        return state

    def shown(errors: list[EntryError]) -> list[EntryError]:
        return [error for error in errors if not error.field_id or error.field_id.removeprefix("id_") in touched]

    state.header_errors = shown(state.header_errors)
    for view in state.lines:
        view.entry_errors = shown(view.entry_errors)
    state.hidden_problems = state.problems - len(state.header_errors) - sum(len(v.entry_errors) for v in state.lines)
    return state


def _touched(request: HttpRequest) -> set[str] | None:
    """The fields the page says the biller has left, or None when it does not say (no JavaScript, the tests)."""
    if TOUCHED not in request.POST:
        return None
    return {name for name in request.POST.get(TOUCHED, "").split(",") if name}


def _selected(request: HttpRequest) -> tuple[frozenset[str], str]:
    """The findings picked to share one reason (their reason field names), and that reason."""
    names = frozenset(
        without_unpaired_surrogates(name) for name in request.POST.getlist(SELECT_NAME) if name.startswith(ACK_PREFIX)
    )
    return names, without_unpaired_surrogates(request.POST.get(SELECT_REASON, "")).strip()


def _state(form, formset, *, user, claim, run_check: bool, reasons=None, extra=(), selected=(frozenset(), "")):
    """``build_state`` for the full page: the formset's lines, with their forms to render."""
    return build_state(
        form,
        formset_readings(formset),
        user=user,
        claim=claim,
        run_check=run_check,
        reasons=reasons,
        forms={line_form.prefix: line_form for line_form in formset.forms},
        extra_errors=[
            *([EntryError(str(error)) for error in formset.non_form_errors()] if formset.is_bound else []),
            *extra,
        ],
        selected=selected[0],
        select_reason=selected[1],
    )


def _posted_reasons(request: HttpRequest) -> dict[str, str]:
    """The posted override reasons, any unpaired surrogate replaced (they are shown again; ``_reason_errors``
    refuses them)."""
    reasons = {
        without_unpaired_surrogates(key): without_unpaired_surrogates(value)
        for key, value in request.POST.items()
        if key.startswith(ACK_PREFIX)
    }
    selected, reason = _selected(request)
    if reason:  # one reason for every finding picked that has none of its own
        for name in selected:
            if not reasons.get(name, "").strip():
                reasons[name] = reason
    return reasons


def _reason_errors(request: HttpRequest) -> list[EntryError]:
    """A reason is text like any other field: one holding an unpaired surrogate is refused."""
    if any(
        (key.startswith(ACK_PREFIX) or key in (SELECT_NAME, SELECT_REASON))
        and (has_unpaired_surrogate(key) or has_unpaired_surrogate(value))
        for key, values in request.POST.lists()
        for value in values
    ):
        return [EntryError(f"A reason: {unpaired_surrogate_problem(chr(0xD800)).capitalize()}.")]
    return []


def _overrides(state: EntryState, reasons: dict[str, str]) -> dict[str, str]:
    """The posted reasons as ``services.claim_submit`` takes them: finding key → reason."""
    saved = [view for view in state.lines if not view.deleted and not view.blank]  # numbered 1.. when saved
    scope_line = {view.prefix: number for number, view in enumerate(saved, start=1)}
    out = {}
    for name, reason in reasons.items():
        scope, _, rule = _split_ack(name)
        if scope == CLAIM_SCOPE:
            out[f"0:{rule}"] = reason
        elif scope in scope_line:
            out[f"{scope_line[scope]}:{rule}"] = reason
    return out


def _split_ack(name: str) -> tuple[str, str, str]:
    """``ack-lines-3-DRG-ORAL-MEDICARE`` → ("lines-3", "", "DRG-ORAL-MEDICARE"); claim scope likewise."""
    rest = name[len(ACK_PREFIX) :]
    if rest.startswith(CLAIM_SCOPE + "-"):
        return CLAIM_SCOPE, "", rest[len(CLAIM_SCOPE) + 1 :]
    parts = rest.split("-", 2)  # lines, N, RULE-ID
    if len(parts) == 3:
        return f"{parts[0]}-{parts[1]}", "", parts[2]
    return "", "", ""


def _forms(request: HttpRequest, claim: Claim | None, patient: Patient | None = None, data=None):
    instance = claim or Claim()
    if request.method == "POST":
        data = data if data is not None else request.POST
        form = ClaimForm(data, instance=instance)
        form.is_valid()
        formset = LineFormSet(data, instance=instance, prefix="lines", diagnoses=form.diagnosis_letters())
        formset.is_valid()
    else:
        form = ClaimForm(instance=instance, patient=patient)
        formset = LineFormSet(
            instance=instance,
            prefix="lines",
            diagnoses=form.diagnosis_letters(),
            queryset=instance.lines.all() if instance.pk else ClaimLine.objects.none(),
        )
    return form, formset


def _render(request, form, formset, state: EntryState, claim: Claim | None, status: int = 200) -> HttpResponse:
    history, returned = [], None
    if claim is not None and claim.pk:
        history = list(claim.status_changes.select_related("user"))
        returned = returned_review(claim)
    providers = list(Provider.objects.filter(active=True))
    context = {
        "form": form,
        "formset": formset,
        "state": state,
        "claim": claim,
        "history": history,
        "returned_review": returned,
        "clinicians": [provider for provider in providers if provider.kind == ProviderKind.CLINICIAN],
        "organisations": [provider for provider in providers if provider.kind == ProviderKind.ORGANISATION],
    }
    return render(request, "claims/claim_form.html", context, status=status)


def _prefill_source(request: HttpRequest) -> Claim | None:
    """*New claim for this patient*: a claim the user may see (``?from_claim=``), or None without one.

    Only the claim's id is in the address, never the patient's; a claim the user cannot see is not found (404)."""
    if "from_claim" not in request.GET:
        return None
    pk = _posted_number(request.GET.get("from_claim"))
    if pk is None:
        raise Http404("No such claim.")
    return get_object_or_404(claims_visible_to(request.user), pk=pk)


def _prefill_patient(source: Claim | None) -> Patient | None:
    """The patient as entered on the source claim (boxes 1a, 2, 3 and 5)."""
    if source is None:
        return None
    return Patient(
        member_id=source.member_id,
        last_name=source.patient_last_name,
        first_name=source.patient_first_name,
        date_of_birth=source.patient_dob,
        sex=source.patient_sex,
        address_line1=source.patient_address_line1,
        address_line2=source.patient_address_line2,
        city=source.patient_city,
        state=source.patient_state,
        zip_code=source.patient_zip_code,
        phone=source.patient_phone,
    )


def _conflict(request: HttpRequest, claim: Claim | None, formset) -> str:
    """Why a save of an existing claim must not go ahead: the form says no version, another version than the
    claim's, or names a line no longer on the claim. Empty when it may (``claim_save`` checks it once more
    under its lock, for a save that happens at the same moment)."""
    if claim is None:
        return ""
    version = _posted_number(request.POST.get("version"))
    if version is None:
        return services.NO_VERSION_MESSAGE.format(number=claim.number)
    if version != claim.version or formset.lines_gone:
        return services.STALE_MESSAGE.format(number=claim.number)
    return ""


@sensitive_post_parameters()  # error reports carry no patient data (billing_site.error_reports)
@permission_required("claims.add_claim", raise_exception=True)
@sensitive_variables()
def claim_entry(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """New claim (``pk`` None) or edit; POST with ``action`` save, check or submit."""
    claim = editable_claim(request, pk) if pk else None
    if claim is not None and not claim.is_editable:
        messages.info(request, f"{claim.number} is {claim.get_status_display().lower()}; it can no longer be changed.")
        return redirect(claim)
    source = _prefill_source(request) if claim is None and request.method != "POST" else None
    form, formset = _forms(request, claim, _prefill_patient(source))
    if source is not None:
        form.initial["payer"] = source.payer_id  # the same patient's claims usually go to the same payer

    if request.method != "POST":
        state = _state(form, formset, user=request.user, claim=claim, run_check=claim is not None)
        if claim is not None:
            with transaction.atomic():
                services.claim_viewed_record(claim=claim, user=request.user, page="entry")
        return _render(request, form, formset, state, claim)

    action = request.POST.get("action", "save")
    action = action if action in ACTIONS else "save"
    reasons = _posted_reasons(request)
    picked = _selected(request)
    if action == "add_line":  # without JavaScript: the same form with one more blank line, nothing saved
        data = request.POST.copy()
        total = _posted_number(data.get("lines-TOTAL_FORMS"))
        if total is not None and total < LineFormSet.max_num:
            data["lines-TOTAL_FORMS"] = str(total + 1)
        form, formset = _forms(request, claim, data=data)
        state = _state(form, formset, user=request.user, claim=claim, run_check=True, reasons=reasons, selected=picked)
        return _render(request, form, formset, state, claim)
    conflict = _conflict(request, claim, formset)
    if conflict:  # a stale or version-less save: nothing is saved, everything typed is shown again
        state = _state(form, formset, user=request.user, claim=claim, run_check=True, reasons=reasons, selected=picked)
        messages.error(request, conflict)
        return _render(request, form, formset, state, claim, status=409)
    bad_reasons = _reason_errors(request)
    if bad_reasons or not (form.is_valid() and formset.is_valid()):
        state = _state(
            form,
            formset,
            user=request.user,
            claim=claim,
            run_check=True,
            reasons=reasons,
            extra=bad_reasons,
            selected=picked,
        )
        messages.error(request, "Nothing was saved: correct the fields marked below.")
        return _render(request, form, formset, state, claim, status=422)
    state = _state(form, formset, user=request.user, claim=claim, run_check=False)
    instance = form.build_claim()
    lines = [line_form.instance for line_form in formset.active_forms()]
    try:
        saved = services.claim_save(
            claim=instance,
            lines=lines,
            patient=form.build_patient(),
            user=request.user,
            version=_posted_number(request.POST.get("version")),
        )
    except services.ClaimError as error:
        state = _state(form, formset, user=request.user, claim=claim, run_check=True, reasons=reasons, selected=picked)
        messages.error(request, str(error))
        return _render(request, form, formset, state, claim, status=409)

    if action == "save":
        messages.success(request, f"{saved.number} saved as a draft.")
        return redirect("claims:claim_edit", pk=saved.pk)
    if action == "check":
        result = services.claim_check(claim=saved, user=request.user)
        messages.info(request, f"{saved.number} checked: {_result_text(result)}.")
        return redirect("claims:claim_edit", pk=saved.pk)
    overrides = _overrides(state, reasons)
    try:
        submitted = services.claim_submit(claim=saved, user=request.user, overrides=overrides)
    except services.UnacknowledgedFindings as error:
        messages.error(request, f"{saved.number} saved but not submitted. {error}")
        return redirect("claims:claim_edit", pk=saved.pk)
    messages.success(request, f"{submitted.number} submitted: {submitted.get_status_display().lower()}.")
    return redirect(submitted)


def _result_text(result: CheckResult) -> str:
    if not result.findings:
        return "no denial risks found"
    parts = []
    for severity, word in ((Severity.ERROR, "error"), (Severity.WARNING, "warning"), (Severity.INFO, "note")):
        count = result.count(severity)
        if count:
            parts.append(f"{count} {word}{'s' if count != 1 else ''}")
    return ", ".join(parts)


@sensitive_post_parameters()  # error reports carry no patient data (billing_site.error_reports)
@require_POST
@permission_required("claims.add_claim", raise_exception=True)
@sensitive_variables()
def live_check(request: HttpRequest) -> HttpResponse:
    """The form as typed so far → the risk summary, and each line's findings out of band (htmx)."""
    claim = None
    claim_id = _posted_number(request.POST.get("claim_id"))
    if claim_id is not None:
        claim = editable_claim(request, claim_id)
    form = ClaimForm(request.POST, instance=claim or Claim())
    form.is_valid()
    readings = read_lines(request.POST, form.diagnosis_letters())
    extra = [*([EntryError(TOO_MANY_LINES)] if too_many_lines(request.POST) else []), *_reason_errors(request)]
    state = build_state(
        form,
        readings,
        user=request.user,
        claim=claim,
        run_check=True,
        reasons=_posted_reasons(request),
        extra_errors=extra,
        selected=_selected(request)[0],
        select_reason=_selected(request)[1],
    )
    only_touched(state, _touched(request))  # say nothing yet of a field the biller has not left
    return render(request, "claims/_live_check.html", {"state": state, "form": form, "claim": claim})
