"""Run every registered rule over claims, apply the catalogue's precedence (§0.6), grade the risk.

``check_document(data)`` is the path of the API: JSON in (``scrub-format.md``), JSON out.
``check_claims(claims)`` does the same for parsed ``ClaimInput``s. ``check_one(claim)`` checks one claim
the entry page built from its records and returns the engine's ``Finding`` objects. Reference data is loaded
once per call for the claims' codes (``ReferenceData.load``), payers and the demographic table once,
so the number of queries does not depend on the number of claims or lines. The batch check of
``scrub_claims`` (a stream of claims, worker processes) is ``batch.iter_batch``; it runs the same
``check_claim``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from ..choices import Category, Risk, Severity
from .context import LIABILITY_MODIFIERS, ClaimContext, ResolvedPayer, resolve_payer
from .inputs import ClaimInput, PayerConfigInput, parse_document
from .reference import ReferenceData, table_missing_reason
from .registry import CLAIM, Finding, NotChecked, Rule, registry

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
    """One claim's findings, and the checks that did not run: ``unchecked_checks`` says which and why,
    ``unchecked`` lists their categories (``scrub-format.md``)."""

    id: str
    findings: list[Finding]
    unchecked: list[str] = field(default_factory=list)
    unchecked_checks: list[NotChecked] = field(default_factory=list)

    @classmethod
    def of(cls, claim_id: str, findings: list[Finding], unchecked_checks: list[NotChecked]) -> ClaimResult:
        return cls(
            id=claim_id,
            findings=findings,
            unchecked=sorted({check.category for check in unchecked_checks}),
            unchecked_checks=unchecked_checks,
        )

    @property
    def risk(self) -> str:
        return grade_risk(self.findings)

    def as_dict(self) -> dict[str, Any]:
        data = {"id": self.id, "risk": self.risk, "findings": [f.as_dict() for f in self.findings]}
        if self.unchecked:
            data["unchecked"] = self.unchecked
        if self.unchecked_checks:
            data["unchecked_checks"] = [check.as_dict() for check in self.unchecked_checks]
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
    """Everything loaded once per batch: reference facts, stored payers, demographic edits.

    ``payers``: the stored payers the claims may name (``claims.models.Payer``); None loads every payer
    when a claim names one (``load_payers`` True: always)."""

    def __init__(
        self,
        claims: Sequence[ClaimInput],
        *,
        ref: ReferenceData | None = None,
        load_payers: bool | None = None,
        payers: Iterable | None = None,
    ):
        from ..models import DemographicEdit, Payer

        self.ref = ref if ref is not None else ReferenceData.load(claims)
        if payers is None:
            if load_payers is None:
                load_payers = any(c.payer_name for c in claims)
            payers = Payer.objects.all() if load_payers else ()
        self.payers = {p.name.lower(): p for p in payers}
        self.demographic_edits = tuple(DemographicEdit.objects.filter(active=True))
        self._resolved: dict[tuple[str, str, PayerConfigInput], ResolvedPayer] = {}

    def payer_for(self, claim: ClaimInput) -> ResolvedPayer:
        # The result depends on the payer name, type and inline settings only: resolved once for each
        # (inline settings with preferred products are a dict, not a key: resolved every time).
        key = (claim.payer_name, claim.payer_type, claim.payer_config)
        try:
            found = self._resolved.get(key)
        except TypeError:
            return self._resolve_payer(claim)
        if found is None:
            found = self._resolved[key] = self._resolve_payer(claim)
        return found

    def _resolve_payer(self, claim: ClaimInput) -> ResolvedPayer:
        return resolve_payer(claim, self.payers.get(claim.payer_name.lower()) if claim.payer_name else None)


def apply_precedence(findings: list[Finding], ctx: ClaimContext, order: dict[str, int] | None = None) -> list[Finding]:
    """The catalogue's §0.6: at most one finding per (line, root cause)."""
    if not findings:
        return []
    by_line: dict[int | None, list[Finding]] = {}
    for finding in findings:
        items = by_line.get(finding.line)
        if items is None:
            by_line[finding.line] = [finding]
        else:
            items.append(finding)
    kept: list[Finding] = []
    lines = {line.number: line for line in ctx.lines}
    for line_no, items in by_line.items():
        if line_no is None:
            kept.extend(items)
            continue
        if len(items) == 1:  # alone on its line: only a liability modifier can silence it (rule 2)
            finding = items[0]
            if finding.rule in COVERAGE_RULES:
                line = lines.get(line_no)
                if line is not None and line.has(*LIABILITY_MODIFIERS):
                    continue
            kept.append(finding)
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
    if order is None:
        order = {rule.id: index for index, rule in enumerate(registry.all())}
    if len(kept) == 1:
        return kept
    # One finding per (line, rule).
    unique: dict[tuple[int | None, str], Finding] = {}
    for finding in kept:
        unique.setdefault((finding.line, finding.rule), finding)
    return sorted(
        unique.values(),
        key=lambda f: (f.line is not None, f.line or 0, f.severity != Severity.ERROR, order.get(f.rule, 0)),
    )


def _table_missing(category: str, table: str) -> NotChecked:
    """The claim-level entry for a category's check that cannot run: its reference table is not loaded."""
    return NotChecked(category=category, check=Category(category).label, reason=table_missing_reason(table))


class _LineKind:
    """What the plan knows about every line with one (code, modifiers, place of service)."""

    __slots__ = ("passing", "effective", "rules")

    def __init__(self, passing: frozenset[str]):
        self.passing = passing  # IDs of the line rules whose pre-filters let such a line through
        self.effective = EFFECTIVE_RULE in passing
        # (payer type, NCCI on/off) -> the line rules to call, each with its claim pre-filter bit (or 0)
        self.rules: dict[tuple[str, bool], tuple[tuple[int, Rule], ...]] = {}


class RulePlan:
    """Which rules run on which lines, worked out once per batch and reused for every claim.

    Which tables are loaded does not change between claims, a line rule's ``code_when`` pre-filter
    reads only the code and its ``when`` only the line's code, modifiers and place of service: so
    ``code_when`` is asked once per code, ``when`` once per (code, modifiers, place of service), and
    for each such kind of line and each (payer type, NCCI on/off) the tuple of line rules to call is
    worked out once. A rule's ``claim_when`` is asked once per claim; the rules it rules out for the
    claim are bits the engine skips.

    ``use_prefilters=False`` ignores every pre-filter: each rule is called on every line and claim its
    payer types and tables allow (``tests/claims/rules/test_prefilters_equivalence.py`` checks that the
    results are the same both ways).
    """

    def __init__(self, ref: ReferenceData, *, use_prefilters: bool = True):
        rules = registry.all()
        self.order = {rule.id: index for index, rule in enumerate(rules)}
        self._ref = ref
        self._plans: dict[tuple[str, bool], tuple] = {}
        self._kinds: dict[tuple, _LineKind] = {}
        self._shared_kinds: dict[frozenset[str], _LineKind] = {}
        self._by_code: dict[str, frozenset[str]] = {}
        self._shared: dict[frozenset[str], frozenset[str]] = {}
        self._candidates: dict[tuple, tuple[tuple[int, Rule], ...]] = {}
        line_rules = tuple(rule for rule in rules if rule.scope != CLAIM)
        if not use_prefilters:  # no line or code pre-filter; every claim pre-filter's bit is 0 (never skips)
            line_rules = tuple(replace(rule, code_when=None, when=None) for rule in line_rules)
        self._all_line_rules = line_rules
        self._line_when_rules = tuple(rule for rule in line_rules if rule.when is not None)
        self._bits = {
            rule.id: (1 << index) if use_prefilters else 0
            for index, rule in enumerate(rule for rule in rules if rule.claim_when is not None)
        }

    def for_claim(self, payer_type: str, applies_ncci: bool) -> tuple:
        """(COD-EFFECTIVE, other line rules, claim rules, the checks not run for want of a table (one
        ``NotChecked`` per category and missing table), line rules with a claim pre-filter as (bit, rule)
        pairs)."""
        key = (payer_type, applies_ncci)
        if key not in self._plans:
            effective, line_rules, claim_rules, unchecked = None, [], [], {}
            for rule in registry.all():
                if not rule.applies_to(payer_type):
                    continue
                if not applies_ncci and rule.category in NCCI_CATEGORIES:
                    continue  # the payer does not follow NCCI: not applied, not "unchecked"
                missing = [table for table in rule.needs if not self._ref.is_loaded(table)]
                if missing:
                    for table in missing:
                        unchecked.setdefault((rule.category, table), _table_missing(rule.category, table))
                elif rule.id == EFFECTIVE_RULE:
                    effective = rule
                elif rule.scope == CLAIM:
                    claim_rules.append(rule)
                else:
                    line_rules.append(rule)
            gated = tuple((self._bits[rule.id], rule) for rule in line_rules if rule.claim_when is not None)
            not_run = tuple(unchecked[key] for key in sorted(unchecked))
            self._plans[key] = (effective, line_rules, claim_rules, not_run, gated)
        return self._plans[key]

    def kind(self, line) -> _LineKind:
        key = (line.code, line.modifier_set, line.pos)
        found = self._kinds.get(key)
        if found is None:
            ref, code = self._ref, line.code
            allowed = self._by_code.get(code)
            if allowed is None:
                allowed = frozenset(
                    rule.id for rule in self._all_line_rules if rule.code_when is None or rule.code_when(ref, code)
                )
                allowed = self._by_code[code] = self._shared.setdefault(allowed, allowed)
            passing = allowed.difference(
                rule.id for rule in self._line_when_rules if rule.id in allowed and not rule.when(ref, line)
            )
            # Kinds of line that pass the same rules are one kind (a batch of many codes has few such sets).
            found = self._kinds[key] = self._shared_kinds.get(passing) or self._shared_kinds.setdefault(
                passing, _LineKind(passing)
            )
        return found

    def rules_for(self, kind: _LineKind, payer_key: tuple[str, bool]) -> tuple[tuple[int, Rule], ...]:
        """The line rules to call on a line of this kind for (payer type, NCCI on/off), each with the bit
        of its claim pre-filter (0 for none); cached in the kind."""
        rules = kind.rules.get(payer_key)
        if rules is None:
            base_key = (payer_key, kind.passing)
            rules = self._candidates.get(base_key)
            if rules is None:
                passing, bits = kind.passing, self._bits
                rules = self._candidates[base_key] = tuple(
                    (bits.get(rule.id, 0), rule) for rule in self.for_claim(*payer_key)[1] if rule.id in passing
                )
            kind.rules[payer_key] = rules
        return rules


def check_claim(ctx: ClaimContext, plan: RulePlan | None = None) -> ClaimResult:
    """Run the rules over one claim: COD-EFFECTIVE first (it takes invalid lines out of every pair and
    units check), then every line rule on every valid line, then the claim rules; then §0.6."""
    plan = plan or RulePlan(ctx.ref)
    payer_type, applies_ncci = ctx.claim.payer_type, ctx.payer.apply_ncci
    effective, _, claim_rules, unchecked, gated = plan.for_claim(payer_type, applies_ncci)
    lines = ctx.lines
    kind = plan.kind
    kinds = [kind(line) for line in lines]
    findings: list[Finding] = []
    append = findings.append
    if effective is not None:
        for line, line_kind in zip(lines, kinds, strict=True):
            if line_kind.effective:
                for hit in effective.function(ctx, line):
                    append(effective.stamp(hit, line.number if hit.line is None else hit.line))
        ctx.invalid_lines = frozenset(f.line for f in findings if f.line is not None)
    invalid = ctx.invalid_lines
    skipped = 0
    for bit, rule in gated:
        if not rule.claim_when(ctx):
            skipped |= bit
    payer_key = (payer_type, applies_ncci)
    rules_for = plan.rules_for
    for line, line_kind in zip(lines, kinds, strict=True):
        number = line.number
        if number in invalid:
            continue
        rules = line_kind.rules.get(payer_key)
        if rules is None:
            rules = rules_for(line_kind, payer_key)
        for bit, rule in rules:
            if skipped & bit:
                continue
            for hit in rule.function(ctx, line):
                append(rule.stamp(hit, number if hit.line is None else hit.line))
    for rule in claim_rules:
        for hit in rule.function(ctx):
            append(rule.stamp(hit, hit.line))
    return ClaimResult.of(
        ctx.claim.id, apply_precedence(findings, ctx, plan.order), [*unchecked, *ctx.unchecked_checks]
    )


def check_one(claim: ClaimInput, *, payer=None) -> tuple[ClaimResult, dict[str, str]]:
    """One claim as the entry page checks it, built from the claim's records (no scrub JSON): reference data
    for its own codes only, the stored ``payer`` it is billed to (``claims.models.Payer``; None: the payer
    type's defaults). Returns the claim's result and the reference releases used."""
    _ensure_rules_loaded()
    batch = BatchData((claim,), payers=() if payer is None else (payer,))
    ctx = ClaimContext(claim, batch.ref, batch.payer_for(claim), batch.demographic_edits)
    return check_claim(ctx, RulePlan(batch.ref)), batch.ref.releases_used()


def check_claims(
    claims: Sequence[ClaimInput], *, batch: BatchData | None = None, use_prefilters: bool = True
) -> dict[str, Any]:
    """Check parsed claims; returns the output document of ``scrub-format.md`` (``use_prefilters``: see
    ``RulePlan``)."""
    _ensure_rules_loaded()
    batch = batch or BatchData(claims)
    plan = RulePlan(batch.ref, use_prefilters=use_prefilters)
    results = []
    for claim in claims:
        ctx = ClaimContext(claim, batch.ref, batch.payer_for(claim), batch.demographic_edits)
        results.append(check_claim(ctx, plan).as_dict())
    return {"claims": results, "reference_data": batch.ref.releases_used()}


def check_document(data: Any, *, today: date | None = None, use_prefilters: bool = True) -> dict[str, Any]:
    """Parse (raising ``ScrubInputError`` for malformed input) and check a whole scrub document."""
    return check_claims(parse_document(data, today=today), use_prefilters=use_prefilters)
