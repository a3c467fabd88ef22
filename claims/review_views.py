"""The supervisors' review queue and review page.

The queue lists the open reviews (flagged claims and the ready ones sampled for audit), filtered, sorted,
25 a page, with counts per reason and risk for the current filter, and assigns them in bulk. The review
page shows the submission under review (its snapshot, never the claim as it is now), the rules behind its
findings, what changed since the previous submission, and the patient's other claims; the reviewer decides
on each override and on the claim. Every change goes through ``claims.services`` (one transaction per post,
with the claim's version check); a refusal is shown on the page, with everything typed kept.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.db import transaction
from django.db.models import Count, Q
from django.http import Http404, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django.views.generic import View
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin

from . import services
from .choices import OverrideDecisionChoice, QueueReason, Sex
from .models import DIAGNOSIS_LETTERS, Claim, ClaimReview
from .review_filters import RULE_DATALIST, ReviewFilterSet
from .review_forms import AssignForm, decision_name, field_suffix, note_name, user_label
from .review_selectors import (
    REVIEW_CLAIM,
    claim_for_review,
    decisions_by_key,
    facet_counts,
    previous_review,
    previous_submission,
    queue_counts,
    queue_rows,
    review_of_page,
)
from .review_tables import PER_PAGE, ReviewQueueTable
from .rules import load_rule_modules, registry
from .selectors import claim_editor_ids, patient_other_claims, providers_by_npi

ACTIONS = ("approve", "return", "save")
REASON_LABELS = dict(QueueReason.choices)


# --- the queue -------------------------------------------------------------------------------------------
def _cleaned(filterset: ReviewFilterSet) -> dict[str, Any]:
    """The filters asked for (none when the page is opened without any); call when the form is valid."""
    return filterset.form.cleaned_data if filterset.is_bound else {}


def _filtered_without(filterset: ReviewFilterSet, exclude: str):
    """The queue under every filter of ``filterset`` but ``exclude`` (the counts beside that filter's options:
    what choosing each option would show)."""
    rows = filterset.queryset.all()
    for name, value in _cleaned(filterset).items():
        if name != exclude:
            rows = filterset.filters[name].filter(rows, value)
    return rows


class ReviewQueueView(PermissionRequiredMixin, SingleTableMixin, FilterView):
    """Claims waiting for review: every flagged claim and the ready ones sampled for audit."""

    permission_required = REVIEW_CLAIM
    raise_exception = True
    table_class = ReviewQueueTable
    filterset_class = ReviewFilterSet
    template_name = "claims/review_queue.html"
    table_pagination = {"per_page": PER_PAGE}

    def get_queryset(self):
        return queue_rows(self.request.user)

    def _mine(self) -> bool:
        return self.filterset.is_valid() and bool(_cleaned(self.filterset).get("mine"))

    def get_table_kwargs(self):
        return {"caption": "My queue" if self._mine() else "Review queue"}

    def _facets(self) -> dict[str, list[dict[str, Any]]]:
        """Counts per reason and per risk for the current filters (two aggregate queries); each filter's own
        choice is left out of its counts, so they say what picking another option would show."""
        filterset = self.filterset
        if filterset.is_bound and not filterset.is_valid():
            return {"reason": [], "risk": []}
        by_reason = queue_counts(_filtered_without(filterset, "reason"), "reason")
        by_risk = queue_counts(_filtered_without(filterset, "risk"), "claim__risk")
        facets: dict[str, list[dict[str, Any]]] = {}
        for name, rows in facet_counts(by_reason, by_risk).items():
            chosen = _cleaned(filterset).get(name) or ""
            query = self.request.GET.copy()
            query.pop("page", None)
            items = []
            for value, label, count in rows:
                query[name] = value
                if chosen == value:  # the chosen one's badge takes its filter off again
                    query.pop(name)
                items.append(
                    {
                        "value": value,
                        "label": label,
                        "count": count,
                        "active": chosen == value,
                        "query": query.urlencode(),
                    }
                )
            facets[name] = items
            # the select shows the same counts beside each option
            filterset.form.fields[name].choices = [(value, f"{label} ({count})") for value, label, count in rows]
        return facets

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        reviews = context["table"].page_reviews()
        totals = (
            queue_rows(user)
            .order_by()
            .aggregate(
                waiting=Count("id"),
                mine=Count("id", filter=Q(assignee=user)),
                unassigned=Count("id", filter=Q(assignee=None)),
            )
        )
        load_rule_modules()
        context.update(
            {
                "reviews": reviews,
                "facets": self._facets(),
                "totals": totals,
                "mine": self._mine(),
                "assign_form": AssignForm(user=user),
                "query": self.request.GET.urlencode(),
                "rule_ids": [rule.id for rule in registry.all()],
                "rule_datalist": RULE_DATALIST,
            }
        )
        services.claims_listed_record(claim_ids=[review.claim_id for review in reviews], user=user, page="review queue")
        return context


def _queue_url(query: str = "") -> str:
    """The queue with the filters, sort and page it was left at (re-encoded: only ever a query string)."""
    query = QueryDict(query.lstrip("?")).urlencode()
    return reverse("claims:review_queue") + (f"?{query}" if query else "")


def _back(request, query: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return _queue_url(query)


@permission_required(REVIEW_CLAIM, raise_exception=True)
@require_POST
def review_assign_view(request):
    """Assign the ticked reviews to a reviewer; claims the reviewer created or edited are refused, with why."""
    form = AssignForm(request.POST, user=request.user)
    query = request.POST.get("query", "")
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(_back(request, query))
    assignee = form.cleaned_data["assignee_user"]
    claims = [review.claim for review in form.cleaned_data["review"]]
    try:
        result = services.review_assign(claims=claims, assignee=assignee, user=request.user)
    except services.ClaimError as error:
        messages.error(request, str(error))
        return redirect(_back(request, query))
    if result.assigned:
        count = len(result.assigned)
        to = f"to {user_label(assignee)}" if assignee is not None else "to nobody (unassigned)"
        messages.success(request, f"Assigned {count} claim{'s' if count != 1 else ''} {to}.")
    if result.refused:
        reasons = "; ".join(reason for _, reason in result.refused)
        count = len(result.refused)
        messages.warning(request, f"Not assigned ({count} claim{'s' if count != 1 else ''}): {reasons}")
    return redirect(_back(request, query))


# --- the review page -------------------------------------------------------------------------------------
def _posted_input(post: QueryDict, findings: list[dict[str, Any]]) -> dict[str, Any]:
    """What the reviewer typed: the claim note and, per override, the decision and note."""
    decisions = {}
    for finding in findings:
        if finding.get("override"):
            key = finding["key"]
            decisions[key] = {
                "decision": post.get(decision_name(key), ""),
                "note": post.get(note_name(key), ""),
                "rule": finding["rule"],
                "line": finding["line"],
            }
    return {"note": post.get("note", ""), "decisions": decisions, "review": post.get("review", "")}


def _paragraphs(doc: str) -> str:
    """A docstring's paragraphs with their hard line breaks joined (the template breaks the paragraphs)."""
    return "\n\n".join(" ".join(paragraph.split()) for paragraph in doc.split("\n\n") if paragraph.strip())


def _finding_view(finding: dict[str, Any], decisions: dict, typed: dict | None, error: dict) -> dict[str, Any]:
    """One finding of the snapshot as the page shows it, with its rule, the decision so far and what was typed."""
    key = finding["key"]
    rule = registry.get(finding["rule"]) if finding["rule"] in registry else None
    decision = decisions.get(key)
    view = {
        **finding,
        "suffix": field_suffix(key),
        "decision_name": decision_name(key),
        "note_name": note_name(key),
        "rule_title": rule.title if rule else "",
        "rule_doc": _paragraphs(rule.doc) if rule else "",
        "decision": decision,
        "chosen": decision.decision if decision else "",
        "note_value": decision.note if decision else "",
        "error": error.get(key, ""),
    }
    override = finding.get("override")
    if override:
        view["override"] = {**override, "at": parse_datetime(override["at"]) if override.get("at") else None}
        if typed is not None and key in typed:
            view["chosen"] = typed[key]["decision"]
            view["note_value"] = typed[key]["note"]
    return view


def _header(header: dict[str, Any]) -> dict[str, Any]:
    values = dict(header)
    for name in ("patient_dob", "date_of_service"):
        values[name] = parse_date(header[name]) if header.get(name) else None
    values["diagnoses"] = list(zip(DIAGNOSIS_LETTERS, header.get("diagnoses") or [], strict=False))
    values["patient_sex_label"] = Sex(header["patient_sex"]).label if header.get("patient_sex") in Sex.values else ""
    return values


def _finding_changes(before: list[dict[str, Any]], after: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    old = {finding["key"]: finding for finding in before}
    new = {finding["key"]: finding for finding in after}
    return {
        "added": [finding for key, finding in new.items() if key not in old],
        "removed": [finding for key, finding in old.items() if key not in new],
    }


def _change_sentence(label: str, before: Any, after: Any) -> str:
    def shown(value: Any) -> str:
        if isinstance(value, list):
            return " ".join(str(item) for item in value) or "—"
        return "—" if value in ("", None) else str(value)

    if before in ("", None, []) and str(label).startswith("line ") and " " not in str(label)[5:]:
        return f"{label} added: {shown(after)}"
    if after in ("", None, []) and str(label).startswith("line ") and " " not in str(label)[5:]:
        return f"{label} removed: {shown(before)}"
    return f"{label}: {shown(before)} → {shown(after)}"


def _review_context(
    request,
    claim: Claim,
    review: ClaimReview,
    *,
    typed: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Everything the review page shows, in a fixed number of queries whatever the number of lines and
    findings (the snapshot's ``data`` holds them)."""
    load_rule_modules()
    snapshot = review.snapshot
    data = snapshot.data
    decisions = decisions_by_key(review)
    same_review = typed is not None and typed.get("review") == str(review.pk) and review.is_open
    typed_decisions = typed["decisions"] if same_review else None
    editors = claim_editor_ids(claim)
    can_decide = review.is_open and request.user.pk not in editors
    # a refusal is shown beside the override it is about, where the reviewer can act on it
    errors = (errors or {}) if can_decide else {}
    findings = [_finding_view(f, decisions, typed_decisions, errors) for f in data.get("findings", [])]
    header = _header(data.get("header", {}))
    letters = dict(header["diagnoses"])
    lines = [
        {
            **line,
            "number": number,
            "date_of_service": parse_date(line["date_of_service"]) if line.get("date_of_service") else None,
            "pointed": [(letter, letters.get(letter, "")) for letter in line.get("dx_pointers") or ""],
        }
        for number, line in enumerate(data.get("lines", []), start=1)
    ]
    by_line: dict[int | None, list[dict[str, Any]]] = defaultdict(list)
    for finding in findings:
        by_line[finding["line"]].append(finding)
    numbers = {line["number"] for line in lines}
    for line in lines:
        line["findings"] = by_line.get(line["number"], [])
    orphans = [f for number, found in by_line.items() if number is not None and number not in numbers for f in found]

    previous = previous_submission(claim, snapshot)
    changed = None
    if previous is not None:
        changed = {
            "previous": previous,
            "sentences": [_change_sentence(*change) for change in services.claim_changes(previous.data, data)],
            **_finding_changes(previous.data.get("findings", []), data.get("findings", [])),
            "review": previous_review(claim, snapshot),
        }
    providers = providers_by_npi({header.get("billing_npi", ""), header.get("rendering_npi", "")})
    overrides = [f for f in findings if f.get("override")]
    return {
        "claim": claim,
        "review": review,
        "snapshot": snapshot,
        "data": data,
        "checks_not_run": len(data.get("unchecked_checks") or data.get("unchecked") or ()),
        "header": header,
        "lines": lines,
        "claim_findings": by_line.get(None, []) + orphans,
        "overrides": overrides,
        "decided_count": sum(1 for f in overrides if f["decision"]),
        "rejected": [
            f for f in overrides if f["decision"] and f["decision"].decision == OverrideDecisionChoice.REJECTED
        ],
        "changed": changed,
        "is_editor": request.user.pk in editors,
        "can_decide": can_decide,
        "note_value": typed["note"] if same_review else "",
        "typed": typed if typed is not None and not same_review else None,
        "version": claim.version,
        "other_claims": patient_other_claims(claim, request.user),
        "billing_provider": providers.get(header.get("billing_npi", "")),
        "rendering_provider": providers.get(header.get("rendering_npi", "")),
        "reason_label": REASON_LABELS.get(review.reason, review.reason),
    }


def _claim_and_review(request, pk: int) -> tuple[Claim, ClaimReview]:
    claim = claim_for_review(request.user, pk)
    if claim is None:
        raise Http404("No such claim.")
    review = review_of_page(claim)
    if review is None:
        raise Http404(f"{claim.number} never entered the review queue.")
    return claim, review


class ReviewDetailView(PermissionRequiredMixin, View):
    """The review page of one claim: the submission under review and the decisions on it."""

    permission_required = REVIEW_CLAIM
    raise_exception = True

    def get(self, request, pk):
        claim, review = _claim_and_review(request, pk)
        services.claim_viewed_record(claim=claim, user=request.user, page="review")
        return render(request, "claims/review_detail.html", _review_context(request, claim, review))


def _record_decisions(claim: Claim, review: ClaimReview, typed: dict[str, Any], *, user, version: int | None) -> int:
    """Record each posted override decision that differs from the stored one; how many were recorded.

    A refused decision raises its ``ClaimError`` with the finding's key attached (``finding_key``)."""
    stored = decisions_by_key(review)
    recorded = 0
    for key, posted in typed["decisions"].items():
        decision, note = posted["decision"], posted["note"]
        if not decision:
            if note.strip():  # a note without a decision would be lost: ask for the decision
                where = f" (line {posted['line']})" if posted["line"] else ""
                error = services.ReviewError(
                    f"Accept or reject the override of {posted['rule']}{where}: it has a note."
                )
                error.finding_key = key
                raise error
            continue
        current = stored.get(key)
        if current is not None and current.decision == decision and current.note == note.strip():
            continue
        try:
            services.override_decide(
                claim=claim, user=user, finding_key=key, decision=decision, note=note, version=version
            )
        except services.StaleClaimError:
            raise
        except services.ClaimError as error:
            error.finding_key = key
            raise
        recorded += 1
    return recorded


@permission_required(REVIEW_CLAIM, raise_exception=True)
@require_POST
def review_decide_view(request, pk):
    """Record the posted override decisions, then approve or return the claim (``action``), all in one
    transaction; a refusal re-renders the page with the reason and everything typed (409 or 422)."""
    claim, review = _claim_and_review(request, pk)
    typed = _posted_input(request.POST, review.snapshot.data.get("findings", []))
    action = request.POST.get("action", "")
    posted_version = request.POST.get("version", "")
    version = int(posted_version) if posted_version.isascii() and posted_version.isdigit() else None
    try:
        if version is None:  # every decision names the version it was made on: no silent overwrite
            raise services.StaleClaimError(services.NO_VERSION_MESSAGE.format(number=claim.number))
        if action not in ACTIONS:
            raise services.ReviewError("Choose approve, return or save.")
        if not review.is_open or typed["review"] not in ("", str(review.pk)):
            raise services.StaleClaimError(
                f"{claim.number} changed since you opened it (another reviewer may have decided); reload it."
            )
        with transaction.atomic():
            recorded = _record_decisions(claim, review, typed, user=request.user, version=version)
            if action == "approve":
                services.review_approve(claim=claim, user=request.user, note=typed["note"], version=version)
            elif action == "return":
                services.review_return(claim=claim, user=request.user, note=typed["note"], version=version)
    except services.ClaimError as error:
        messages.error(request, str(error))
        status = 409 if isinstance(error, services.StaleClaimError) else 422
        key = getattr(error, "finding_key", None)
        claim, review = _claim_and_review(request, pk)  # as it is now: another reviewer may have decided
        context = _review_context(request, claim, review, typed=typed, errors={key: str(error)} if key else None)
        return render(request, "claims/review_detail.html", context, status=status)
    if action == "approve":
        messages.success(request, f"Approved {claim.number}: it is ready to send.")
        return redirect("claims:review_queue")
    if action == "return":
        messages.success(request, f"Returned {claim.number} to its biller with your note.")
        return redirect("claims:review_queue")
    if recorded:
        messages.success(
            request, f"Saved {recorded} override decision{'s' if recorded != 1 else ''} on {claim.number}."
        )
    else:
        messages.info(request, "No override decision changed.")
    return redirect("claims:review_detail", pk=claim.pk)
