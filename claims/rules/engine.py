"""Run every registered rule over claims, apply the catalogue's precedence (§0.6), grade the risk.

``check_document(data)`` is the one path the batch check, the API and the browser share: JSON in
(``scrub-format.md``), JSON out. ``check_claims(claims)`` does the same for parsed ``ClaimInput``s.
Reference data is loaded once per batch (``ReferenceData.load``), payers and the demographic table
once per batch, so the number of queries does not depend on the number of claims or lines.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import connections

from ..choices import Category, Risk, Severity
from .context import LIABILITY_MODIFIERS, ClaimContext, ResolvedPayer
from .inputs import ClaimInput, ScrubInputError, parse_claim, parse_document
from .reference import ReferenceData
from .registry import CLAIM, Finding, Rule, registry

# Same-line suppression (§0.6): a finding of the key rule removes findings of these rules on its line.
SUPPRESSES: dict[str, frozenset[str]] = {
    rule: frozenset({"COD-MPFS-STATUS", "COD-HCPCS-COV", "MUE-ZERO"})
    for rule in ("MCR-HCPCS-SUBST", "MCR-PREVENTIVE", "DRG-ORAL-MEDICARE", "COD-S-CODE", "COD-T-CODE", "COD-C-CODE")
}
SUPPRESSES |= {
    "COD-MPFS-STATUS": frozenset({"MUE-ZERO"}),
    "DRG-NOC-DETAIL": frozenset({"COD-UNLISTED-DESC"}),
    "MUE-DOS-POLICY": frozenset({"MOD-RTLT-SPLIT"}),
    "MUE-DOS-CLINICAL": frozenset({"MOD-RTLT-SPLIT"}),
}
# Rules a liability modifier (GA, GY, GZ, GX) silences on its line (§0.6 rule 2).
COVERAGE_RULES = frozenset({"MUE-ZERO", "COD-MPFS-STATUS", "COD-HCPCS-COV", "MCR-PREVENTIVE"})
# Rules that are not applied when the payer does not follow NCCI.
NCCI_CATEGORIES = frozenset({Category.NCCI_PTP, Category.MUE})
EFFECTIVE_RULE = "COD-EFFECTIVE"


@dataclass
class ClaimResult:
    id: str
    findings: list[Finding]
    unchecked: list[str] = field(default_factory=list)

    @property
    def risk(self) -> str:
        return grade_risk(self.findings)

    def as_dict(self) -> dict[str, Any]:
        data = {"id": self.id, "risk": self.risk, "findings": [f.as_dict() for f in self.findings]}
        if self.unchecked:
            data["unchecked"] = self.unchecked
        return data


def grade_risk(findings: Iterable[Finding]) -> str:
    """none: nothing counted; low: one warning; medium: several warnings; high: any error.

    INFO advisories never count (catalogue §0.1).
    """
    errors = warnings = 0
    for finding in findings:
        if finding.severity == Severity.ERROR:
            errors += 1
        elif finding.severity == Severity.WARNING:
            warnings += 1
    if errors:
        return Risk.HIGH
    if warnings > 1:
        return Risk.MEDIUM
    if warnings == 1:
        return Risk.LOW
    return Risk.NONE


def _ensure_rules_loaded() -> None:
    from . import load_rule_modules

    load_rule_modules()


class BatchData:
    """Everything loaded once per batch: reference facts, stored payers, demographic edits."""

    def __init__(self, claims: Sequence[ClaimInput], *, ref: ReferenceData | None = None, payer_names=None):
        from ..models import DemographicEdit, Payer

        self.ref = ref if ref is not None else ReferenceData.load(claims)
        names = payer_names if payer_names is not None else {c.payer_name.lower() for c in claims if c.payer_name}
        self.payers = {p.name.lower(): p for p in Payer.objects.all()} if names else {}
        self.demographic_edits = tuple(DemographicEdit.objects.filter(active=True))

    @classmethod
    def from_raw(cls, raw_claims: Sequence[Any]) -> BatchData:
        """Load for claims not parsed yet (the batch check parses them in worker processes).

        Reads only the codes, dates, NDCs and payer names; malformed values are skipped here and
        reported by the parser.
        """
        codes: set[str] = set()
        dates: set[date] = set()
        ndcs: set[str] = set()
        names: set[str] = set()

        def day(value: Any) -> date | None:
            try:
                return date.fromisoformat(value.strip()) if isinstance(value, str) else None
            except ValueError:
                return None

        for raw in raw_claims:
            if not isinstance(raw, dict):
                continue
            if isinstance(raw.get("payer_name"), str) and raw["payer_name"]:
                names.add(raw["payer_name"].strip().lower())
            claim_day = day(raw.get("dos"))
            for group in ("lines", "history"):
                items = raw.get(group)
                if not isinstance(items, list):
                    continue
                for item in items:
                    if not isinstance(item, dict):
                        continue
                    code = item.get("code")
                    if isinstance(code, str | int) and not isinstance(code, bool):
                        codes.add(str(code).strip().upper())
                    item_day = day(item.get("dos")) or claim_day
                    if item_day:
                        dates.add(item_day)
                    ndc = item.get("ndc")
                    if isinstance(ndc, str) and ndc:
                        ndcs.add(ndc.replace("-", "").strip())
        return cls((), ref=ReferenceData.for_codes(codes, dates, ndcs), payer_names=names)

    def payer_for(self, claim: ClaimInput) -> ResolvedPayer:
        from ..models import PAYER_TYPE_DEFAULTS

        stored = self.payers.get(claim.payer_name.lower()) if claim.payer_name else None
        payer_type = claim.payer_type
        defaults = dict(PAYER_TYPE_DEFAULTS[payer_type])
        values: dict[str, Any] = {
            "timely_filing_days": defaults["timely_filing_days"],
            "apply_ncci": defaults["apply_ncci"],
            "rejects_s_codes": defaults["rejects_s_codes"],
            "ndc_required_all_drug_lines": defaults["ndc_required_all_drug_lines"],
            "pa_required_codes": frozenset(),
            "pa_required_ranges": (),
            "preferred_products": {},
        }
        if stored is not None and stored.payer_type == payer_type:
            if stored.timely_filing_days:
                values["timely_filing_days"] = stored.timely_filing_days
            values["apply_ncci"] = stored.apply_ncci
            if stored.rejects_s_codes is not None:
                values["rejects_s_codes"] = stored.rejects_s_codes
            if stored.ndc_required_all_drug_lines is not None:
                values["ndc_required_all_drug_lines"] = stored.ndc_required_all_drug_lines
            values["pa_required_codes"] = frozenset(stored.pa_codes)
            values["pa_required_ranges"] = tuple(stored.pa_ranges)
            values["preferred_products"] = {
                family: {k: tuple(v) for k, v in lists.items()} for family, lists in stored.preferred_products.items()
            }
        inline = claim.payer_config
        if inline.timely_filing_days is not None:
            values["timely_filing_days"] = inline.timely_filing_days
        if inline.apply_ncci is not None:
            values["apply_ncci"] = inline.apply_ncci
        if inline.rejects_S_codes is not None:
            values["rejects_s_codes"] = inline.rejects_S_codes
        if inline.ndc_required_all_drug_lines is not None:
            values["ndc_required_all_drug_lines"] = inline.ndc_required_all_drug_lines
        if inline.pa_required_codes is not None:
            values["pa_required_codes"] = frozenset(inline.pa_required_codes)
        if inline.preferred_products is not None:
            values["preferred_products"] = inline.preferred_products
        return ResolvedPayer(payer_type=payer_type, name=claim.payer_name, **values)


def apply_precedence(findings: list[Finding], ctx: ClaimContext, order: dict[str, int] | None = None) -> list[Finding]:
    """The catalogue's §0.6: at most one finding per (line, root cause)."""
    by_line: dict[int | None, list[Finding]] = defaultdict(list)
    for finding in findings:
        by_line[finding.line].append(finding)
    kept: list[Finding] = []
    lines = {line.number: line for line in ctx.lines}
    for line_no, items in by_line.items():
        if line_no is None:
            kept.extend(items)
            continue
        rules_here = {f.rule for f in items}
        if EFFECTIVE_RULE in rules_here:  # rule 1: an invalid code suppresses every other line finding
            kept.extend(f for f in items if f.rule == EFFECTIVE_RULE)
            continue
        line = lines.get(line_no)
        liability = line is not None and line.has(*LIABILITY_MODIFIERS)
        hierarchy_pairs = {
            partner for f in items if f.rule == "DRG-ADMIN-HIERARCHY" for partner in (f.related_lines or (None,))
        }
        for finding in items:
            if liability and finding.rule in COVERAGE_RULES:  # rule 2
                continue
            if any(finding.rule in SUPPRESSES.get(other, ()) for other in rules_here):  # rules 3, 5, 6
                continue
            if (
                finding.rule == "PTP-MI1-NOMOD"
                and hierarchy_pairs
                and (  # rule 4
                    None in hierarchy_pairs or set(finding.related_lines) & hierarchy_pairs
                )
            ):
                continue
            kept.append(finding)
    # One finding per (line, rule).
    unique: dict[tuple[int | None, str], Finding] = {}
    for finding in kept:
        unique.setdefault((finding.line, finding.rule), finding)
    if order is None:
        order = {rule.id: index for index, rule in enumerate(registry.all())}
    return sorted(
        unique.values(),
        key=lambda f: (f.line is not None, f.line or 0, f.severity != Severity.ERROR, order.get(f.rule, 0)),
    )


class RulePlan:
    """Which rules run on which lines, worked out once per batch and reused for every claim.

    Which tables are loaded does not change between claims, and a line rule's ``when`` pre-filter
    reads only the line's code, modifiers and place of service: so for each (code, modifiers, place
    of service) the line rules whose ``when`` lets the line through are computed once, and for each
    (payer type, NCCI on/off, code, modifiers, place of service, claim pre-filters) the tuple of line
    rules to call. A rule's ``claim_when`` is asked once per claim; the rules it rules out for the
    claim are one bit each in the key.
    """

    def __init__(self, ref: ReferenceData):
        self.order = {rule.id: index for index, rule in enumerate(registry.all())}
        self._ref = ref
        self._plans: dict[tuple[str, bool], tuple] = {}
        self._line_rules: dict[tuple, tuple[Rule, ...]] = {}
        self._passing: dict[tuple, frozenset[str]] = {}
        self._bits = {
            rule.id: 1 << index
            for index, rule in enumerate(rule for rule in registry.all() if rule.claim_when is not None)
        }

    def for_claim(self, payer_type: str, applies_ncci: bool) -> tuple:
        """(COD-EFFECTIVE, other line rules, claim rules, categories left unchecked for want of a table,
        line rules with a claim pre-filter as (bit, rule) pairs)."""
        key = (payer_type, applies_ncci)
        if key not in self._plans:
            effective, line_rules, claim_rules, unchecked = None, [], [], set()
            for rule in registry.all():
                if not rule.applies_to(payer_type):
                    continue
                if not applies_ncci and rule.category in NCCI_CATEGORIES:
                    continue  # the payer does not follow NCCI: not applied, not "unchecked"
                if not all(self._ref.is_loaded(table) for table in rule.needs):
                    unchecked.add(rule.category)
                elif rule.id == EFFECTIVE_RULE:
                    effective = rule
                elif rule.scope == CLAIM:
                    claim_rules.append(rule)
                else:
                    line_rules.append(rule)
            gated = tuple((self._bits[rule.id], rule) for rule in line_rules if rule.claim_when is not None)
            self._plans[key] = (effective, line_rules, claim_rules, sorted(unchecked), gated)
        return self._plans[key]

    def passing(self, line) -> frozenset[str]:
        """IDs of the line rules whose ``when`` pre-filter lets this line through (cached)."""
        key = (line.code, line.modifier_set, line.pos)
        found = self._passing.get(key)
        if found is None:
            ref = self._ref
            found = self._passing[key] = frozenset(
                rule.id
                for rule in registry.all()
                if rule.scope != CLAIM and (rule.when is None or rule.when(ref, line))
            )
        return found

    def line_rules_effective(self, payer_type: str, line) -> tuple[Rule, ...]:
        """COD-EFFECTIVE alone, when its pre-filter lets the line through (cached like the others)."""
        key = ("effective", payer_type, line.code, line.modifier_set, line.pos)
        rules = self._line_rules.get(key)
        if rules is None:
            effective = self.for_claim(payer_type, True)[0]
            rules = self._line_rules[key] = (
                (effective,) if effective is not None and effective.id in self.passing(line) else ()
            )
        return rules

    def line_rules(self, payer_type: str, applies_ncci: bool, line, skipped: int = 0) -> tuple[Rule, ...]:
        """The line rules to call on the line; ``skipped``: bits of the rules the claim rules out."""
        key = (payer_type, applies_ncci, line.code, line.modifier_set, line.pos, skipped)
        rules = self._line_rules.get(key)
        if rules is None:
            passing = self.passing(line)
            bits = self._bits
            rules = self._line_rules[key] = tuple(
                rule
                for rule in self.for_claim(payer_type, applies_ncci)[1]
                if rule.id in passing and not (skipped & bits.get(rule.id, 0))
            )
        return rules


def check_claim(ctx: ClaimContext, plan: RulePlan | None = None) -> ClaimResult:
    """Run the rules over one claim: COD-EFFECTIVE first (it takes invalid lines out of every pair and
    units check), then every line rule on every valid line, then the claim rules; then §0.6."""
    plan = plan or RulePlan(ctx.ref)
    payer_type, applies_ncci = ctx.claim.payer_type, ctx.payer.apply_ncci
    effective, _, claim_rules, unchecked, gated = plan.for_claim(payer_type, applies_ncci)
    findings: list[Finding] = []
    append = findings.append
    if effective is not None:
        for line in ctx.lines:
            if effective.when is None or plan.line_rules_effective(payer_type, line):
                for hit in effective.function(ctx, line):
                    append(effective.stamp(hit, line.number if hit.line is None else hit.line))
        ctx.invalid_lines = frozenset(f.line for f in findings if f.line is not None)
    invalid = ctx.invalid_lines
    skipped = 0
    for bit, rule in gated:
        if not rule.claim_when(ctx):
            skipped |= bit
    line_rules = plan.line_rules
    for line in ctx.lines:
        number = line.number
        if number in invalid:
            continue
        for rule in line_rules(payer_type, applies_ncci, line, skipped):
            for hit in rule.function(ctx, line):
                append(rule.stamp(hit, number if hit.line is None else hit.line))
    for rule in claim_rules:
        findings.extend(rule.stamp(hit, hit.line) for hit in rule.function(ctx))
    return ClaimResult(id=ctx.claim.id, findings=apply_precedence(findings, ctx, plan.order), unchecked=unchecked)


def check_claims(claims: Sequence[ClaimInput], *, batch: BatchData | None = None) -> dict[str, Any]:
    """Check parsed claims; returns the output document of ``scrub-format.md``."""
    _ensure_rules_loaded()
    batch = batch or BatchData(claims)
    plan = RulePlan(batch.ref)
    results = []
    for claim in claims:
        ctx = ClaimContext(claim, batch.ref, batch.payer_for(claim), batch.demographic_edits)
        results.append(check_claim(ctx, plan).as_dict())
    return {"claims": results, "reference_data": batch.ref.releases_used()}


def check_document(data: Any, *, today: date | None = None) -> dict[str, Any]:
    """Parse (raising ``ScrubInputError`` for malformed input) and check a whole scrub document."""
    return check_claims(parse_document(data, today=today))


# --- the batch check: many claims, parsed and checked in worker processes ---------------------------
PARALLEL_MINIMUM = 400  # claims; below this one process is faster than starting workers
_WORK: dict[str, Any] = {}  # what forked workers inherit: raw claims, batch data, plan, today


def _check_range(bounds: tuple[int, int]) -> list[dict[str, Any]]:
    raw_claims, batch, plan, today = _WORK["raw"], _WORK["batch"], _WORK["plan"], _WORK["today"]
    results = []
    for index in range(*bounds):
        claim = parse_claim(raw_claims[index], index + 1, today=today)
        ctx = ClaimContext(claim, batch.ref, batch.payer_for(claim), batch.demographic_edits)
        results.append(check_claim(ctx, plan).as_dict())
    return results


def default_jobs(claim_count: int) -> int:
    if claim_count < PARALLEL_MINIMUM or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    return max(1, min(os.cpu_count() or 1, 8))


def iter_batch(
    data: Any, *, jobs: int | None = None, today: date | None = None, release_input: bool = False
) -> tuple[dict[str, str], Iterator[dict[str, Any]]]:
    """The batch check of ``scrub_claims``: (reference releases used, the claim results in input order).

    Reference data is loaded once in this process; with ``jobs`` > 1 the claims are parsed and checked
    in forked workers that share it (copy-on-write, so the PTP table is not loaded once per process),
    and results are handed on as they come, so the caller can write them without holding them all.
    Malformed input raises ``ScrubInputError`` (naming claim, line and field) from the iterator,
    possibly after some results: write to a temporary file and keep it only when the iterator ends.
    ``release_input`` lets this process drop the input claims once the workers have them.
    """
    if not isinstance(data, dict):
        raise ScrubInputError("the document must be a JSON object with a 'claims' list")
    raw_claims = data.get("claims")
    if not isinstance(raw_claims, list):
        raise ScrubInputError("the document must have a 'claims' list", field="claims")
    jobs = default_jobs(len(raw_claims)) if jobs is None else max(1, jobs)
    _ensure_rules_loaded()
    if jobs == 1:  # parse everything first: malformed input costs no database work
        claims = parse_document(data, today=today)
        batch = BatchData(claims)
        plan = RulePlan(batch.ref)

        def checked_in_process() -> Iterator[dict[str, Any]]:
            for claim in claims:
                ctx = ClaimContext(claim, batch.ref, batch.payer_for(claim), batch.demographic_edits)
                yield check_claim(ctx, plan).as_dict()

        return batch.ref.releases_used(), checked_in_process()

    batch = BatchData.from_raw(raw_claims)
    plan = RulePlan(batch.ref)
    today = today or date.today()
    # The input and the reference data live until the end: keep them out of the garbage collector's
    # scans, and keep the workers from copying the pages those scans would touch.
    gc.collect()
    gc.freeze()

    def checked_in_workers() -> Iterator[dict[str, Any]]:
        count = len(raw_claims)
        size = max(50, count // (jobs * 8) + 1)
        ranges = [(start, min(start + size, count)) for start in range(0, count, size)]
        # Workers never query; close the parent's connections so no socket is shared across the fork
        # (not inside a transaction, e.g. a test case: the workers leave the connection untouched).
        if not any(connection.in_atomic_block for connection in connections.all(initialized_only=True)):
            connections.close_all()
        _WORK.update(raw=raw_claims, batch=batch, plan=plan, today=today)
        seen: set[str] = set()
        try:
            with multiprocessing.get_context("fork").Pool(jobs) as pool:
                _WORK.clear()
                if release_input:
                    raw_claims.clear()  # the workers have their own copy; free this process's
                for part in pool.imap(_check_range, ranges):
                    for result in part:
                        if result["id"] in seen:
                            raise ScrubInputError(f"claim ids must be unique; repeated: {result['id']}", field="id")
                        seen.add(result["id"])
                        yield result
        finally:
            _WORK.clear()
            gc.unfreeze()

    return batch.ref.releases_used(), checked_in_workers()


def check_batch(data: Any, *, jobs: int | None = None, today: date | None = None) -> dict[str, Any]:
    """``iter_batch`` collected into one output document (the same as ``check_document`` returns)."""
    reference_data, results = iter_batch(data, jobs=jobs, today=today)
    return {"claims": list(results), "reference_data": reference_data}
