"""Pages of the claims app. The rule catalogue is read from the rule registry itself, so it cannot drift."""

from __future__ import annotations

from collections import Counter, defaultdict

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_GET, require_POST
from django.views.generic import DetailView
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin

from audit.exports import trail_csv_response
from audit.selectors import events_of_claim
from codes.validators import without_unpaired_surrogates

from . import printing, services
from .choices import Category, ClaimStatus, PayerType, ReviewOutcome
from .cms1500 import claim_boxes
from .filters import SEARCH_SESSION_KEY, ClaimFilterSet, ClaimSearchForm
from .models import DIAGNOSIS_LETTERS, Claim, ClaimReview
from .rules import load_rule_modules, registry
from .rules.reference import TABLE_NAMES
from .selectors import (
    VIEW_CLAIM,
    claim_detail_queryset,
    claim_editable_by,
    claim_list_rows,
    claims_visible_to,
    patient_other_claims,
    patients_matching,
    providers_by_npi,
    sees_all_claims,
)
from .tables import PER_PAGE, ClaimTable

PATIENT_SEARCH_MIN_CHARS = 2
PATIENT_SEARCH_MAX_CHARS = 60


def rule_list(request):
    """Every registered rule: what it checks, for which payers, the denial codes it predicts, its source."""
    load_rule_modules()
    rules = registry.all()
    counts = Counter(rule.category for rule in rules)
    category = request.GET.get("category", "")
    if category not in Category.values:
        category = ""
    category_order = {value: index for index, value in enumerate(Category.values)}
    shown = sorted(
        (rule for rule in rules if not category or rule.category == category),
        key=lambda rule: (category_order.get(rule.category, 99), rule.order, rule.id),
    )
    payer_labels = dict(PayerType.choices)
    rows = [
        {
            "rule": rule,
            "category_label": Category(rule.category).label,
            "payers": ", ".join(str(payer_labels.get(p, p)) for p in rule.payers) or "All payers",
            "needs": [TABLE_NAMES.get(table, table) for table in rule.needs],
            "doc": rule.doc,
            "must_fix": not services.acknowledgeable(rule.id),
        }
        for rule in shown
    ]
    categories = [(value, label, counts[value]) for value, label in Category.choices if counts[value]]
    context = {
        "rows": rows,
        "categories": categories,
        "category": category,
        "category_label": Category(category).label if category else "",
        "total": len(rules),
    }
    return render(request, "claims/rule_list.html", context)


# --- claim list and detail -------------------------------------------------------------------------------
class ClaimListView(PermissionRequiredMixin, SingleTableMixin, FilterView):
    """The biller's claims (all claims for supervisors), filtered, sorted, 25 a page."""

    permission_required = VIEW_CLAIM
    raise_exception = True
    table_class = ClaimTable
    filterset_class = ClaimFilterSet
    template_name = "claims/claim_list.html"
    table_pagination = {"per_page": PER_PAGE}

    def get_queryset(self):
        return claim_list_rows(self.request.user)

    def search_text(self) -> str:
        return self.request.session.get(SEARCH_SESSION_KEY, "")

    def get_filterset_kwargs(self, filterset_class):
        """The filters from the address, the search from the session (a ``q`` in the address is ignored)."""
        kwargs = super().get_filterset_kwargs(filterset_class)
        data = self.request.GET.copy()
        data.pop("q", None)
        if self.search_text():
            data["q"] = self.search_text()
        kwargs["data"] = data or None
        return kwargs

    def _filters_query(self) -> str:
        """The address's filters and sort (never a search), for the search form and going back to the list
        after a search, from page 1."""
        query = self.request.GET.copy()
        for name in ("q", "page"):
            query.pop(name, None)
        return query.urlencode()

    def post(self, request, *args, **kwargs):
        """Search (or clear the search): kept in the session, then back to the list with its filters."""
        form = ClaimSearchForm(request.POST)
        if "clear" in request.POST:
            request.session.pop(SEARCH_SESSION_KEY, None)
        elif form.is_valid():
            text = form.cleaned_data["q"].strip()
            if text:
                request.session[SEARCH_SESSION_KEY] = text
            else:
                request.session.pop(SEARCH_SESSION_KEY, None)
        else:
            messages.error(request, f"Search: {' '.join(form.errors['q'])}")
        query = self._filters_query()
        return redirect(f"{reverse('claims:claim_list')}{'?' + query if query else ''}")

    def get_table_kwargs(self):
        sees_all = sees_all_claims(self.request.user)
        mine_only = not sees_all or (self.filterset.is_valid() and self.filterset.form.cleaned_data.get("mine"))
        return {
            "user": self.request.user,
            "show_created_by": sees_all,
            "caption": "My claims" if mine_only else "All claims",
        }

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["claims"] = context["table"].page_claims()
        context["sees_all"] = sees_all_claims(self.request.user)
        search = self.search_text()
        context["search"] = search
        query = self._filters_query()
        context["search_form"] = ClaimSearchForm(
            initial={"q": search},
            action=f"{reverse('claims:claim_list')}{'?' + query if query else ''}",
            searching=bool(search),
        )
        services.claims_listed_record(
            claim_ids=[claim.pk for claim in context["claims"]], user=self.request.user, page="claim list"
        )
        return context


def returned_review(claim: Claim) -> ClaimReview | None:
    """The review that returned the claim, while it is marked as returned (its note is shown to the biller)."""
    if not claim.is_returned:
        return None
    return (
        claim.reviews.filter(outcome=ReviewOutcome.RETURNED)
        .select_related("decided_by")
        .prefetch_related("decisions")
        .order_by("-decided_at", "-id")
        .first()
    )


class ClaimPageMixin:
    """What every tab of a claim's page shows in its header; the view is recorded on the trail."""

    page_name = "claim page"

    def get_queryset(self):
        return claim_detail_queryset(self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        claim, user = self.object, self.request.user
        may_review = user.has_perm(services.REVIEW_PERMISSION)
        context.update(
            {
                "can_edit": claim_editable_by(claim, user),
                "can_review": may_review and bool(claim.queue_reason),
                "can_void": user.has_perm("claims.void_claim")
                and claim.status != ClaimStatus.VOIDED
                and not claim.queue_reason
                and (sees_all_claims(user) or (claim.created_by_id == user.pk and claim.is_editable)),
                "returned_review": returned_review(claim),
                "sees_all": sees_all_claims(user),
            }
        )
        with transaction.atomic():
            services.claim_viewed_record(claim=claim, user=user, page=self.page_name)
        return context


class ClaimDetailView(PermissionRequiredMixin, ClaimPageMixin, DetailView):
    """One claim: header, claim-level findings, each line with its findings, the status history."""

    permission_required = VIEW_CLAIM
    raise_exception = True
    template_name = "claims/claim_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        claim = self.object
        by_line = defaultdict(list)
        for finding in claim.findings.all():
            by_line[finding.line_number].append(finding)
        lines = list(claim.lines.all())
        line_numbers = {line.number for line in lines}
        diagnosis = claim.diagnosis_by_letter()
        for line in lines:
            line.stored_findings = by_line.get(line.number, [])
            line.pointed_diagnoses = [(letter, diagnosis.get(letter, "")) for letter in line.dx_pointers]
        # Findings of a line that no longer exists stay visible, after the claim-level ones.
        orphans = [
            finding
            for number, found in by_line.items()
            if number is not None and number not in line_numbers
            for finding in found
        ]
        providers = providers_by_npi({claim.billing_npi, claim.rendering_npi})
        context.update(
            {
                "claim_findings": by_line.get(None, []) + orphans,
                "lines": lines,
                "diagnoses": list(zip(DIAGNOSIS_LETTERS, claim.diagnoses, strict=False)),
                "status_changes": list(claim.status_changes.all()),
                "other_claims": patient_other_claims(claim, self.request.user),
                "billing_provider": providers.get(claim.billing_npi),
                "rendering_provider": providers.get(claim.rendering_npi),
                "cms1500_boxes": claim_boxes(claim),  # the rest of the CMS-1500 (claims/cms1500.py)
            }
        )
        return context


@sensitive_post_parameters()  # error reports carry no patient data (billing_site.error_reports)
@require_POST
@permission_required("claims.add_claim", raise_exception=True)
@sensitive_variables()
def patient_search(request):
    """htmx partial of the entry form's patient picker: known patients matching a member ID, name or birth date.

    The search text is posted, never put in the address (it names patients, and addresses end up in access
    logs). Patients are the practice's, shared by its billers (the same as the entry form's "known patient"
    notice); the claims counted and the payer offered are only those the user may see."""
    text = without_unpaired_surrogates(request.POST.get("q", "")).strip()[:PATIENT_SEARCH_MAX_CHARS]
    searched = len(text) >= PATIENT_SEARCH_MIN_CHARS
    patients = patients_matching(text, user=request.user) if searched else []
    return render(request, "claims/_patient_options.html", {"text": text, "searched": searched, "patients": patients})


class ClaimHistoryView(PermissionRequiredMixin, ClaimPageMixin, DetailView):
    """The claim's History tab: its audit trail in plain words, oldest first."""

    permission_required = VIEW_CLAIM
    raise_exception = True
    template_name = "claims/claim_history.html"
    page_name = "history"

    def get_queryset(self):
        return claims_visible_to(self.request.user).select_related("payer", "patient", "created_by")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["events"] = list(events_of_claim(self.object.pk))
        return context


@require_GET
def claim_history_csv(request, pk: int):
    """A claim's trail as CSV, for supervisors (``audit.export_trail``); the export is on the trail too."""
    if not request.user.has_perm("audit.export_trail"):
        raise PermissionDenied
    claim = get_object_or_404(claims_visible_to(request.user), pk=pk)
    with transaction.atomic():
        services.claim_trail_exported_record(claim=claim, user=request.user)
    return trail_csv_response(events_of_claim(claim.pk), filename=f"{claim.number}-history.csv")


@require_GET
def claim_cms1500_view(request, pk: int):
    """The claim as a CMS-1500 (02/12) PDF, ``?variant=data`` (for pre-printed forms) or ``full`` (for review),
    for whoever may see the claim; a download named by the claim number only, and on the trail."""
    if not request.user.has_perm(VIEW_CLAIM):
        raise PermissionDenied
    claim = get_object_or_404(claims_visible_to(request.user).select_related("payer").prefetch_related("lines"), pk=pk)
    variant = request.GET.get("variant", "")
    if variant not in printing.VARIANTS:
        choices = "; ".join(f"{name}: {label}" for name, label in printing.VARIANTS.items())
        return HttpResponseBadRequest(f"Choose which CMS-1500 to print ({choices}).", content_type="text/plain")
    try:
        pdf = printing.cms1500_pdf(claim=claim, variant=variant)
    except printing.CannotPrint as error:
        messages.error(request, f"{claim.number} cannot be printed on the CMS-1500: {error}")
        return redirect(claim)
    with transaction.atomic():
        services.claim_printed_record(claim=claim, user=request.user, variant=variant)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=f"{claim.number}-cms1500-{variant}.pdf"
    )
    return response


@require_POST
def claim_void_view(request, pk: int):
    """Void a claim with a reason (claims are never deleted)."""
    if not request.user.has_perm("claims.void_claim"):
        raise PermissionDenied
    claim = get_object_or_404(claims_visible_to(request.user), pk=pk)
    try:
        services.claim_void(claim=claim, user=request.user, reason=request.POST.get("reason", ""))
    except services.ClaimError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"{claim.number} voided.")
    return redirect(claim)
