"""The rules' pre-filters (``code_when``, ``when``, ``claim_when``) change nothing but speed.

A pre-filter skips a rule where it "cannot fire"; a wrong one hides real findings and no rule test notices
(the rule's own tests call it where the pre-filter lets it through). So the whole generated corpus
(``corpus.py``: thousands of claims over a code universe of the test database's own, no ../shared) is
checked twice, with the pre-filters and with every rule called on every line and claim its payer types
and tables allow (``use_prefilters=False``), and the two output documents must be equal. The corpus must
make every pre-filtered rule fire somewhere and every pre-filter skip somewhere, or the comparison would
prove nothing about it.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest

from claims.rules import load_rule_modules, registry
from claims.rules.engine import BatchData, check_claims
from claims.rules.inputs import ClaimInput, parse_document
from claims.rules.registry import Rule
from tests.claims.conftest import rolled_back

from .builders import claim, line, reference, run
from .corpus import CLAIM_COUNT, build_universe, generate_claims

pytestmark = pytest.mark.django_db

PREFILTERS = ("code_when", "when", "claim_when")
# Pre-filtered rules the corpus cannot make fire, and why (the test fails if one of them fires, or if
# another pre-filtered rule does not).
NEVER_FIRE: dict[str, str] = {}


def prefiltered_rules() -> list[Rule]:
    load_rule_modules()
    return [rule for rule in registry.all() if any(getattr(rule, name) is not None for name in PREFILTERS)]


@contextmanager
def rules_replaced(replacements: dict[str, Rule]) -> Iterator[None]:
    """Registered rules swapped for others (same IDs) while the block runs."""
    with pytest.MonkeyPatch.context() as patch:
        for rule_id, rule in replacements.items():
            patch.setitem(registry._rules, rule_id, rule)
        yield


def _counting(function: Callable[..., bool], rule_id: str, skips: Counter) -> Callable[..., bool]:
    def prefilter(*args: Any) -> bool:
        result = function(*args)
        if not result:
            skips[rule_id] += 1
        return result

    return prefilter


@contextmanager
def skips_counted() -> Iterator[Counter]:
    """Every pre-filter wrapped to count the times it skips its rule (its answers unchanged)."""
    skips: Counter = Counter()
    replacements = {
        rule.id: dataclasses.replace(
            rule,
            **{
                name: _counting(getattr(rule, name), rule.id, skips)
                for name in PREFILTERS
                if getattr(rule, name) is not None
            },
        )
        for rule in prefiltered_rules()
    }
    with rules_replaced(replacements):
        yield skips


def differences(checked: dict[str, Any], reference: dict[str, Any]) -> list[str]:
    """What differs between two output documents of the same claims, claim by claim."""
    found = []
    for got, expected in zip(checked["claims"], reference["claims"], strict=True):
        if got == expected:
            continue
        mine = {(f["line"], f["rule"], f["message"]) for f in got["findings"]}
        theirs = {(f["line"], f["rule"], f["message"]) for f in expected["findings"]}
        found.append(
            f"{got['id']}: missing {sorted(theirs - mine)}, extra {sorted(mine - theirs)}, "
            f"unchecked {got.get('unchecked')} vs {expected.get('unchecked')}, risk {got['risk']} vs {expected['risk']}"
        )
    return found


@dataclass
class Corpus:
    claims: list[ClaimInput]
    batch: BatchData
    with_prefilters: dict[str, Any]
    without_prefilters: dict[str, Any]
    skips: Counter
    lines_as_parsed: list[list[tuple]]  # every claim's lines, field by field, before any rule ran

    def recheck(self, rule_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """(the claims with a finding of the rule and every tenth other claim checked again with the
        pre-filters as registered now, the same claims' results without pre-filters)."""
        chosen = [
            index
            for index, result in enumerate(self.without_prefilters["claims"])
            if index % 10 == 0 or any(f["rule"] == rule_id for f in result["findings"])
        ]
        checked = check_claims([self.claims[index] for index in chosen], batch=self.batch)
        return checked, {"claims": [self.without_prefilters["claims"][index] for index in chosen]}


@pytest.fixture(scope="module")
def corpus(django_db_setup, django_db_blocker) -> Iterator[Corpus]:
    """The corpus's reference data built once for the module; the claims checked both ways."""
    with rolled_back(django_db_blocker):
        universe = build_universe()
        claims = parse_document({"claims": generate_claims(universe)})
        lines_as_parsed = [[dataclasses.astuple(line) for line in claim.lines] for claim in claims]
        batch = BatchData(claims)
        with skips_counted() as skips:
            with_prefilters = check_claims(claims, batch=batch)
        without_prefilters = check_claims(claims, batch=batch, use_prefilters=False)
        yield Corpus(claims, batch, with_prefilters, without_prefilters, skips, lines_as_parsed)


def test_the_corpus_is_large_and_spans_every_payer_type_and_code_family(corpus):
    claims = corpus.claims
    assert len(claims) == CLAIM_COUNT >= 5000
    assert {claim.payer_type for claim in claims} == {"medicare", "medicaid", "commercial"}
    codes = {line.code for claim in claims for line in claim.lines}
    assert len(codes) > 500
    first = {code[0] for code in codes if code}
    assert set("0123456789ACEGJQST") <= first, sorted(first)


def test_checking_with_and_without_the_prefilters_gives_the_same_document(corpus):
    assert corpus.with_prefilters["reference_data"] == corpus.without_prefilters["reference_data"]
    found = differences(corpus.with_prefilters, corpus.without_prefilters)
    assert not found, f"{len(found)} claims differ:\n" + "\n".join(found[:20])


def test_no_rule_changes_a_line_it_reads(corpus):
    """A line (``LineInput``) is a plain dataclass, not a frozen one, because a batch builds one per line
    (``bench/scrub.py``); the rules only read it. Checked without pre-filters, every rule ran on every line
    of the corpus, and every line is still as parsed."""
    assert [[dataclasses.astuple(line) for line in claim.lines] for claim in corpus.claims] == corpus.lines_as_parsed


def test_every_prefiltered_rule_fires_somewhere_in_the_corpus(corpus):
    fired = Counter(f["rule"] for claim in corpus.without_prefilters["claims"] for f in claim["findings"])
    silent = {rule.id for rule in prefiltered_rules() if not fired[rule.id]}
    assert silent == set(NEVER_FIRE), {rule_id: fired[rule_id] for rule_id in silent ^ set(NEVER_FIRE)}


def test_every_prefilter_skips_its_rule_somewhere_in_the_corpus(corpus):
    never_skipped = {rule.id for rule in prefiltered_rules() if not corpus.skips[rule.id]}
    assert not never_skipped


@pytest.mark.parametrize(
    ("rule_id", "code", "modifiers", "never"),
    [
        ("COD-CAT3", "0213T", [], {"code_when": lambda ref, code: False}),
        ("MOD-59-EM", "99213", ["59"], {"when": lambda ref, line: False}),
        ("MOD-59-EM", "99213", ["59"], {"claim_when": lambda ctx: False}),
    ],
    ids=["code_when", "when", "claim_when"],
)
def test_without_prefilters_a_rule_runs_where_its_prefilter_would_skip_it(rule_id, code, modifiers, never):
    data = claim(line(1, code, modifiers=modifiers), payer_type="commercial", payer_name="")
    ref = reference(codes=[code])
    assert (1, rule_id) in run(data, ref)
    with rules_replaced({rule_id: dataclasses.replace(registry.get(rule_id), **never)}):
        assert (1, rule_id) not in run(data, ref)
        assert (1, rule_id) in run(data, ref, use_prefilters=False)


def _ignores_ranges(ctx) -> bool:
    return not ctx.claim.prior_auth_number and bool(ctx.payer.pa_required_codes)


@pytest.mark.parametrize(
    ("rule_id", "wrong"),
    [
        ("AUTH-MISSING", {"claim_when": _ignores_ranges}),  # the shortcut of issue 11
        ("COD-CAT3", {"code_when": lambda ref, code: code.startswith("0")}),
        ("MOD-59-EM", {"when": lambda ref, line: "59" in line.modifier_set}),
    ],
    ids=["claim_when", "code_when", "when"],
)
@pytest.mark.django_db
def test_a_wrong_prefilter_is_caught_by_the_comparison(corpus, rule_id, wrong):
    """The harness itself: a pre-filter that skips its rule where it can fire makes the documents differ,
    and only in that rule's findings."""
    rule = registry.get(rule_id)
    with rules_replaced({rule_id: dataclasses.replace(rule, **wrong)}):
        found = differences(*corpus.recheck(rule_id))
    assert found
    assert all(rule_id in difference and "extra []" in difference for difference in found), found[:5]
