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
import pickle
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from django.db import connections

from codes.validators import has_unpaired_surrogate

from ..choices import Category, Risk, Severity
from .context import LIABILITY_MODIFIERS, ClaimContext, ResolvedPayer
from .inputs import ClaimInput, PayerConfigInput, ScrubInputError, parse_claim, parse_document
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
    """Everything loaded once per batch: reference facts, stored payers, demographic edits."""

    def __init__(self, claims: Sequence[ClaimInput], *, ref: ReferenceData | None = None, payer_names=None):
        from ..models import DemographicEdit, Payer

        self.ref = ref if ref is not None else ReferenceData.load(claims)
        names = payer_names if payer_names is not None else {c.payer_name.lower() for c in claims if c.payer_name}
        self.payers = {p.name.lower(): p for p in Payer.objects.all()} if names else {}
        self.demographic_edits = tuple(DemographicEdit.objects.filter(active=True))
        self._resolved: dict[tuple[str, str, PayerConfigInput], ResolvedPayer] = {}

    @classmethod
    def from_parts(cls, ref: ReferenceData, payers: Iterable[Any], demographic_edits: Iterable[Any]) -> BatchData:
        """Batch data from what was already read (``ReferencePrefetch``): no queries."""
        batch = cls.__new__(cls)
        batch.ref = ref
        batch.payers = {p.name.lower(): p for p in payers}
        batch.demographic_edits = tuple(demographic_edits)
        batch._resolved = {}
        return batch

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

        def readable(value: Any) -> bool:  # text a database can take (a lone surrogate is the parser's to report)
            return not isinstance(value, str) or value.isascii() or not has_unpaired_surrogate(value)

        for raw in raw_claims:
            if not isinstance(raw, dict):
                continue
            if isinstance(raw.get("payer_name"), str) and raw["payer_name"] and readable(raw["payer_name"]):
                names.add(raw["payer_name"].strip().lower())
            claim_day = day(raw.get("dos"))
            if claim_day:
                dates.add(claim_day)  # the diagnoses' fiscal year
            for group in ("lines", "history"):
                items = raw.get(group)
                if not isinstance(items, list):
                    continue
                for item in items:
                    if not isinstance(item, dict):
                        continue
                    code = item.get("code")
                    if isinstance(code, str | int) and not isinstance(code, bool) and readable(code):
                        codes.add(str(code).strip().upper())
                    item_day = day(item.get("dos")) or claim_day
                    if item_day:
                        dates.add(item_day)
                    ndc = item.get("ndc")
                    if isinstance(ndc, str) and ndc and readable(ndc):
                        ndcs.add(ndc.replace("-", "").strip())
        return cls((), ref=ReferenceData.for_codes(codes, dates, ndcs), payer_names=names)

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
        self._by_code: dict[str, frozenset[str]] = {}
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
                allowed = self._by_code[code] = frozenset(
                    rule.id for rule in self._all_line_rules if rule.code_when is None or rule.code_when(ref, code)
                )
            found = self._kinds[key] = _LineKind(
                allowed.difference(
                    rule.id for rule in self._line_when_rules if rule.id in allowed and not rule.when(ref, line)
                )
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


# --- the batch check: many claims, parsed and checked in worker processes ---------------------------
PARALLEL_MINIMUM = 400  # claims; below this one process is faster than starting workers
_WORK: dict[str, Any] = {}  # what forked workers inherit: raw claims, batch data, plan, today, encoder


def _start_worker() -> None:
    # Checking claims makes no reference cycles (each claim's objects are freed by reference counting;
    # a test holds this), so in a worker the garbage collector's scans are pure cost.
    gc.disable()


def _check_range(bounds: tuple[int, int]) -> tuple[list[str], Any]:
    """(the claim ids, the results: a list of dicts, or the claims encoded and combined into one piece)."""
    raw_claims, batch, plan, today = _WORK["raw"], _WORK["batch"], _WORK["plan"], _WORK["today"]
    encode, combine = _WORK["encode"], _WORK["combine"]
    ids: list[str] = []
    results: list[Any] = []
    for index in range(*bounds):
        claim = parse_claim(raw_claims[index], index + 1, today=today)
        ctx = ClaimContext(claim, batch.ref, batch.payer_for(claim), batch.demographic_edits)
        result = check_claim(ctx, plan).as_dict()
        ids.append(result["id"])
        results.append(result if encode is None else encode(result))
    return ids, results if encode is None else combine(results)


def default_jobs(claim_count: int) -> int:
    if claim_count < PARALLEL_MINIMUM or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    return max(1, min(os.cpu_count() or 1, 8))


def _warm_up() -> None:
    """Load what every claim needs once, before forking, so workers share it instead of each loading it
    (the reference data, ICD-10-CM code sets included, is read before this)."""
    _ensure_rules_loaded()


def _forkable_connections() -> bool:
    """Whether other processes may use the database: not inside a transaction (e.g. a test case, whose
    rows no other connection sees) and not an in-memory SQLite database."""
    for connection in connections.all(initialized_only=True):
        if connection.in_atomic_block:
            return False
    connection = connections["default"]
    return not (connection.vendor == "sqlite" and connection.is_in_memory_db())


def iter_batch(
    data: Any,
    *,
    jobs: int | None = None,
    today: date | None = None,
    release_input: bool = False,
    encode: Callable[[dict[str, Any]], Any] | None = None,
    combine: Callable[[list[Any]], Any] | None = None,
    prefetch: ReferencePrefetch | None = None,
) -> tuple[dict[str, str], Iterator[Any]]:
    """The batch check of ``scrub_claims``: (reference releases used, the claim results in input order).

    Reference data is loaded once in this process (or taken from ``prefetch``); with ``jobs`` > 1 the
    claims are parsed and checked in forked workers that share it (copy-on-write, so the PTP table is
    not loaded once per process), and results are handed on as they come, so the caller can write
    them without holding them all. ``encode`` turns each result into what the caller writes (in the
    workers, so this process only copies text); with ``combine`` as well, the workers join the encoded
    results of consecutive claims into one piece, and the iterator gives such pieces. Malformed input
    raises ``ScrubInputError`` (naming claim, line and field) from the iterator, possibly after some
    results: write to a temporary file and keep it only when the iterator ends. ``release_input`` lets
    this process drop the input claims once the workers have them.
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
        batch = (prefetch.result() if prefetch is not None else None) or BatchData(claims)
        plan = RulePlan(batch.ref)

        def checked_in_process() -> Iterator[Any]:
            for claim in claims:
                ctx = ClaimContext(claim, batch.ref, batch.payer_for(claim), batch.demographic_edits)
                result = check_claim(ctx, plan).as_dict()
                yield result if encode is None else encode(result)

        return batch.ref.releases_used(), checked_in_process()

    _warm_up()
    batch = (prefetch.result() if prefetch is not None else None) or BatchData.from_raw(raw_claims)
    plan = RulePlan(batch.ref)
    today = today or date.today()
    # The input and the reference data live until the end: keep them out of the garbage collector's
    # scans, and keep the workers from copying the pages those scans would touch. (No collection
    # first: the parsed input holds no cycles, and a full scan of it costs as much as a second.)
    gc.freeze()

    def checked_in_workers() -> Iterator[Any]:
        count = len(raw_claims)
        size = max(50, count // (jobs * 24) + 1)  # small enough that no worker finishes long after the others
        ranges = [(start, min(start + size, count)) for start in range(0, count, size)]
        # Workers never query; close the parent's connections so no socket is shared across the fork
        # (not inside a transaction, e.g. a test case: the workers leave the connection untouched).
        if not any(connection.in_atomic_block for connection in connections.all(initialized_only=True)):
            connections.close_all()
        _WORK.update(
            raw=raw_claims,
            batch=batch,
            plan=plan,
            today=today,
            encode=encode,
            combine=combine if encode is not None else None,
        )
        seen: set[str] = set()
        try:
            with multiprocessing.get_context("fork").Pool(jobs, initializer=_start_worker) as pool:
                _WORK.clear()
                if release_input:
                    raw_claims.clear()  # the workers have their own copy; free this process's
                for ids, results in pool.imap(_check_range, ranges):
                    for claim_id in ids:
                        if claim_id in seen:
                            raise ScrubInputError(f"claim ids must be unique; repeated: {claim_id}", field="id")
                        seen.add(claim_id)
                    if encode is None or combine is None:
                        yield from results
                    else:
                        yield results
        finally:
            _WORK.clear()
            gc.unfreeze()

    return batch.ref.releases_used(), checked_in_workers()


# --- reading the reference data while the input is parsed -----------------------------------------
PREFETCH_MINIMUM_BYTES = 1 << 20  # smaller documents are read and checked faster without another process


# ``"key": "text"`` or ``"key": 123`` (codes and NDCs may be given as numbers).
_PREFETCH_VALUES = {
    key: re.compile(rb'"' + key.encode() + rb'"\s*:\s*(?:"([^"]*)"|(-?[0-9]+))')
    for key in ("code", "dos", "ndc", "payer_name")
}


def _json_values(raw: bytes) -> dict[str, set[tuple[bytes, bytes]]]:
    """Every distinct text or whole-number value of the keys ``code``, ``dos``, ``ndc`` and
    ``payer_name`` anywhere in a JSON text without escapes, as (text, number) pairs.

    Wherever the claim parser reads one of these keys it takes only text (or a whole number for a code
    or NDC) and rejects the document otherwise, so these are all the values it can read."""
    return {key: set(pattern.findall(raw)) for key, pattern in _PREFETCH_VALUES.items()}


def _text_values(values: set[tuple[bytes, bytes]]) -> set[str]:
    """The strings, and the whole numbers as text (the reader takes a code or NDC given as a number)."""
    out = set()
    for text, number in values:
        if text:
            out.add(text.decode())
        elif number and number.lstrip(b"-").isdigit():
            out.add(str(int(number)))
    return out


def prefetch_rows(raw: bytes) -> tuple | None:
    """The reference rows, stored payers and demographic edits for an input document, read from its
    raw text without parsing it: every ``code``, ``dos``, ``ndc`` and ``payer_name`` value anywhere in
    the text. That is a superset of what the claims hold, and reference rows for more codes, dates and
    NDCs change no finding. None when the text has escapes (a key or value could hide behind one):
    the caller then loads from the parsed claims.
    """
    from ..models import DemographicEdit, Payer

    if b"\\" in raw:  # with no escapes, each JSON string is its bytes between two quotes
        return None
    values = _json_values(raw)
    codes = {code.strip().upper() for code in _text_values(values["code"])}
    dates = set()
    for text, _ in values["dos"]:
        try:
            dates.add(date.fromisoformat(text.decode().strip()))
        except ValueError:
            continue  # the parser reports it
    ndcs = {ndc.replace("-", "").strip() for ndc in _text_values(values["ndc"])}
    names = [value for value in values["payer_name"] if value[0] or value[1]]
    rows = ReferenceData.fetch_rows(codes, dates, ndcs)
    payers = list(Payer.objects.all()) if names else []
    return rows, payers, list(DemographicEdit.objects.filter(active=True))


def _prefetch_in_child(raw: bytes, channel: Any) -> None:
    gc.disable()  # a short-lived process that makes no reference cycles
    try:
        payload = prefetch_rows(raw)
    except Exception:  # e.g. a database that is not migrated: the parent loads and reports it
        payload = None
    finally:
        connections.close_all()
    channel.send_bytes(pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL))
    channel.close()


class ReferencePrefetch:
    """The batch's reference data, read by a forked process from the raw input text while this process
    parses the JSON (the two take about as long, and the batch check waits for both).

        prefetch = ReferencePrefetch.start(raw)
        data = json.loads(raw)
        ...iter_batch(data, prefetch=prefetch)...
        prefetch.close()
    """

    def __init__(self, process: Any, channel: Any):
        self._process = process
        self._channel = channel
        self._result: BatchData | None = None
        self._done = False

    @classmethod
    def start(cls, raw: bytes) -> ReferencePrefetch | None:
        """Start reading, or None when it would not pay or cannot be done here (no fork, a small
        document, a database other processes cannot see)."""
        if len(raw) < PREFETCH_MINIMUM_BYTES or "fork" not in multiprocessing.get_all_start_methods():
            return None
        if not _forkable_connections():
            return None
        connections.close_all()  # no database socket shared across the fork
        context = multiprocessing.get_context("fork")
        receive, send = context.Pipe(duplex=False)
        process = context.Process(target=_prefetch_in_child, args=(raw, send), daemon=True)
        process.start()
        send.close()
        return cls(process, receive)

    def result(self) -> BatchData | None:
        """The batch data, or None when it could not be read ahead (load it in this process)."""
        if not self._done:
            self._done = True
            try:
                payload = pickle.loads(self._channel.recv_bytes())
            except (EOFError, OSError, pickle.UnpicklingError):
                payload = None
            self.close()
            if payload is not None:
                rows, payers, edits = payload
                self._result = BatchData.from_parts(ReferenceData.from_rows(rows), payers, edits)
        return self._result

    def close(self) -> None:
        """Stop the reading process if it still runs (e.g. the input was malformed)."""
        if self._process.is_alive() and not self._done:
            self._process.terminate()
        self._process.join()
        self._channel.close()
