"""Reads of claims for the pages: who sees which claims, and each page's rows in a fixed number of queries."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal

from django.db.models import Count, Max, OuterRef, Prefetch, Q, QuerySet, Subquery, prefetch_related_objects

from audit.selectors import actor_ids

from .check_input import CheckResult, claim_input
from .choices import ClaimStatus, ReviewOutcome, Severity
from .models import Claim, ClaimFinding, ClaimLine, ClaimReview, ClaimStatusChange, Patient, Provider
from .rules.engine import check_one
from .rules.inputs import HistoryItem

VIEW_CLAIM = "claims.view_claim"
VIEW_ALL_CLAIMS = "claims.view_all_claims"
CHANGE_CLAIM = "claims.change_claim"
OTHER_CLAIMS_SHOWN = 20
PATIENTS_OFFERED = 8
BIRTH_DATE_FORMATS = ("%m/%d/%Y", "%Y-%m-%d", "%m-%d-%Y")
EDIT_ACTIONS = ("claim.created", "claim.changed")


def sees_all_claims(user) -> bool:
    """Supervisors (and administrators) see every biller's claims."""
    return user.is_authenticated and user.has_perm(VIEW_ALL_CLAIMS)


def claims_visible_to(user) -> QuerySet[Claim]:
    """Every claim for supervisors, the claims they created for billers, none for anyone else."""
    if not user.is_authenticated or not user.has_perm(VIEW_CLAIM):
        return Claim.objects.none()
    if sees_all_claims(user):
        return Claim.objects.all()
    return Claim.objects.filter(created_by=user)


def _editable_rule(user) -> Callable[[Claim], bool]:
    """A claim can be changed while it is editable, by its biller or by a supervisor (permissions read once)."""
    may_change = user.has_perm(CHANGE_CLAIM)
    sees_all = sees_all_claims(user)
    return lambda claim: may_change and claim.is_editable and (sees_all or claim.created_by_id == user.pk)


def claim_editable_by(claim: Claim, user) -> bool:
    return _editable_rule(user)(claim)


def claims_with_edit_rights(claims: Sequence[Claim], user) -> Sequence[Claim]:
    """Set ``can_edit`` on each claim: whether ``user`` may open it in the entry form."""
    editable = _editable_rule(user)
    for claim in claims:
        claim.can_edit = editable(claim)
    return claims


def claim_list_rows(user) -> QuerySet[Claim]:
    """The claim list's rows: the claims the user may see.

    Payer, patient and biller are not joined here but loaded for the shown page only
    (``claims_with_related``): SQLite joins before it sorts, so with the joins every sort that no index
    serves read the payer, patient and biller of all claims first (sorting 100,000 claims by risk:
    324 ms joined, 73 ms without)."""
    return claims_visible_to(user)


def claims_with_related(claims: Sequence[Claim], *, created_by: bool = True, patient: bool = True) -> Sequence[Claim]:
    """Load the payer, patient record (and biller) of the given claims: one query each, whatever their number."""
    related = ["payer", *(["patient"] if patient else []), *(["created_by"] if created_by else [])]
    prefetch_related_objects(list(claims), *related)
    return claims


def finding_counts(claim_ids: Iterable[int]) -> dict[int, dict[str, int]]:
    """Stored findings per claim and severity, for the given claims only (one query)."""
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    ids = list(claim_ids)
    if not ids:
        return counts
    rows = (
        ClaimFinding.objects.filter(claim_id__in=ids)
        .order_by()
        .values_list("claim_id", "severity")
        .annotate(total=Count("id"))
    )
    for claim_id, severity, total in rows:
        counts[claim_id][severity] = total
    return counts


def claims_with_finding_counts(claims: Sequence[Claim]) -> Sequence[Claim]:
    """Set ``error_count`` and ``warning_count`` on each claim (one query for all of them)."""
    counts = finding_counts(claim.pk for claim in claims)
    for claim in claims:
        of_claim = counts.get(claim.pk, {})
        claim.error_count = of_claim.get(Severity.ERROR, 0)
        claim.warning_count = of_claim.get(Severity.WARNING, 0)
    return claims


def claim_detail_queryset(user) -> QuerySet[Claim]:
    """One claim with everything its page shows: lines, findings with overrides, status history."""
    return (
        claims_visible_to(user)
        .select_related("payer", "patient", "created_by", "secondary_payer")
        .prefetch_related(
            "lines",
            Prefetch(
                "findings",
                queryset=ClaimFinding.objects.select_related("overridden_by").order_by("line_number", "id"),
            ),
            Prefetch("status_changes", queryset=ClaimStatusChange.objects.select_related("user").order_by("at", "id")),
        )
    )


def patient_other_claims(claim: Claim, user, *, limit: int = OTHER_CLAIMS_SHOWN) -> list[Claim]:
    """The patient's other claims the user may see, newest date of service first (one query)."""
    return list(
        claims_visible_to(user)
        .filter(patient_id=claim.patient_id)
        .exclude(pk=claim.pk)
        .select_related("payer")
        .order_by("-date_of_service", "-pk")[:limit]
    )


# --- a patient's history, as the rules read it ---------------------------------------------------------
# Earlier claims that count as billed for the history rules (duplicates, global surgery, new patient …).
SENT_STATUSES = (ClaimStatus.READY, ClaimStatus.FLAGGED, ClaimStatus.REVIEWED, ClaimStatus.SENT)


def _history_status(claim: Claim) -> str:
    """The earlier claim's status as the history rules read it: ClaimDesk's own words, not a payer's "accepted"
    (none of these claims has been answered by a payer yet)."""
    if claim.status == ClaimStatus.REVIEWED:
        return "approved"  # returned claims are not history (``patient_history``)
    return str(claim.status)  # ready, flagged, sent


def patient_history(patient: Patient | None, *, exclude_claim: int | None = None) -> tuple[HistoryItem, ...]:
    """The services of the patient's sent claims (not those a reviewer returned), oldest first, as the rules'
    history items (one query)."""
    if patient is None or patient.pk is None:
        return ()
    rows = (
        ClaimLine.objects.filter(claim__patient=patient, claim__status__in=SENT_STATUSES)
        .exclude(claim__status=ClaimStatus.REVIEWED, claim__review_outcome=ReviewOutcome.RETURNED)
        .exclude(claim_id=exclude_claim)
        .select_related("claim")
        .order_by("claim__date_of_service", "claim_id", "number")
    )
    history = []
    for line in rows:
        claim = line.claim
        units = line.units.normalize() if line.units is not None else Decimal(1)
        history.append(
            HistoryItem(
                code=line.code.strip().upper(),
                dos=line.date_of_service or claim.date_of_service,
                modifiers=tuple(m.strip().upper() for m in line.modifiers if m),
                rendering_npi=claim.rendering_npi.strip(),
                specialty=claim.rendering_specialty.strip(),
                group_tin=claim.group_tin.strip(),
                diagnoses=tuple(d.strip().upper() for d in claim.diagnoses if d),
                status=_history_status(claim),
                units=Decimal(format(units, "f")),
                pos=(line.place_of_service or claim.place_of_service).strip(),
                claim=claim.number,
            )
        )
    return tuple(history)


def claim_findings(
    *, claim: Claim, lines: Sequence[ClaimLine], patient: Patient | None = None, today: date | None = None
) -> CheckResult:
    """Run the rules on a claim as entered (saved or not); stores nothing (``services.claim_check`` and
    ``services.claim_submit`` keep the answer). Earlier claims of the same patient that have been sent are its
    history; only the reference data of the claim's own codes is read."""
    patient = patient or claim.patient
    history = patient_history(patient, exclude_claim=claim.pk)
    read = claim_input(claim, lines, patient=patient, history=history, today=today)
    result, releases = check_one(read, payer=claim.payer)
    return CheckResult(
        risk=result.risk,
        findings=result.findings,
        unchecked=result.unchecked,
        reference_data=releases,
        unchecked_checks=result.unchecked_checks,
    )


# --- reviews -------------------------------------------------------------------------------------------
def claim_editor_ids(claim: Claim) -> set[int]:
    """The user IDs of everyone who created or edited the claim (they may not review it)."""
    return {claim.created_by_id} | actor_ids(object_type="claim", object_id=claim.pk, actions=EDIT_ACTIONS)


def claim_open_review(claim: Claim) -> ClaimReview | None:
    """The claim's review still waiting for a decision (the latest), with its snapshot; None when there is none."""
    return claim.reviews.filter(outcome="").select_related("snapshot").order_by("-created_at", "-id").first()


# --- patients ------------------------------------------------------------------------------------------
def patient_matching_member(*, member_id: str, date_of_birth: date) -> Patient | None:
    """The patient with this member ID (stored in capitals) and date of birth; one indexed look-up."""
    return Patient.objects.filter(member_id=member_id.strip().upper(), date_of_birth=date_of_birth).first()


def _birth_date(word: str) -> date | None:
    for pattern in BIRTH_DATE_FORMATS:
        try:
            return datetime.strptime(word, pattern).date()
        except ValueError:
            continue
    return None


def patient_q(text: str) -> Q:
    """Patients whose member ID starts with ``text``, or who match all its words: parts of the name, and
    a date of birth (``03/14/1958`` or ``1958-03-14``). ``Garcia 1958-03-14`` finds the one Maria Garcia."""
    text = text.strip()
    if not text:
        return Q()
    query = Q(member_id__istartswith=text)
    words = [word for word in re.split(r"[\s,]+", text) if word]
    described = Q()
    by_description = False  # only letters or a birth date make it more than a member ID (or a claim number)
    for word in words:
        born = _birth_date(word)
        if born is not None:
            described &= Q(date_of_birth=born)
            by_description = True
        elif any(character.isalpha() for character in word):
            described &= Q(last_name__icontains=word) | Q(first_name__icontains=word) | Q(member_id__istartswith=word)
            by_description = True
        else:
            described &= Q(member_id__istartswith=word)
    if by_description:
        query |= described
    return query


def patients_matching(text: str, *, user, limit: int = PATIENTS_OFFERED) -> list[Patient]:
    """Known patients for the entry form's patient picker, with how many of their claims ``user`` may see, the
    latest date of service and the payer of the latest of those claims (to offer it); one query.

    Patients are the practice's, shared by its billers; their claims are not: a biller is told only of the
    claims they may see (``claims_visible_to``), never of another biller's."""
    visible = claims_visible_to(user)
    if sees_all_claims(user):
        own = Q()
    elif user.is_authenticated and user.has_perm(VIEW_CLAIM):
        own = Q(claims__created_by=user)
    else:
        own = Q(claims__pk__in=[])
    latest = visible.filter(patient=OuterRef("pk")).order_by("-date_of_service", "-pk")
    return list(
        Patient.objects.filter(patient_q(text))
        .annotate(
            claim_count=Count("claims", filter=own),
            last_date_of_service=Max("claims__date_of_service", filter=own),
            last_payer_id=Subquery(latest.values("payer_id")[:1]),
            last_payer_name=Subquery(latest.values("payer__name")[:1]),
        )
        .order_by("last_name", "first_name", "date_of_birth", "pk")[:limit]
    )


def providers_by_npi(npis: Iterable[str]) -> dict[str, Provider]:
    """The practice's providers (active or not) with these NPIs, by NPI: names for the NPIs a claim shows."""
    wanted = {npi for npi in npis if npi}
    return {provider.npi: provider for provider in Provider.objects.filter(npi__in=wanted)} if wanted else {}
