"""Registry meta-test: the rules in the code are exactly the catalogue's, with their categories, and documented.

The expected IDs and categories are kept here as well as read from ``../shared/docs/rules-catalogue.md``:
in a user's clone (no ``../shared``) the hard-coded list still holds the code to the catalogue, and on
the project's machines a test checks that this list matches the catalogue itself.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings

from claims.choices import Category
from claims.rules import load_rule_modules, registry
from claims.rules.registry import RuleRegistry

CATALOGUE = Path(settings.SHARED_DATA_DIR).parent / "docs" / "rules-catalogue.md"

EXPECTED: dict[str, str] = {
    **dict.fromkeys(
        ["FMT-NPI-LUHN", "FMT-DX-COUNT", "FMT-DX-INVALID", "FMT-DX-SEQ", "FMT-POS", "FMT-UNITS", "FMT-MOD-COUNT"],
        "FORMAT",
    ),
    "FMT-DOS": "FORMAT",
    **dict.fromkeys(
        [
            "COD-EFFECTIVE",
            "COD-MPFS-STATUS",
            "COD-HCPCS-COV",
            "COD-S-CODE",
            "COD-T-CODE",
            "COD-C-CODE",
            "COD-CAT2-CHARGE",
            "COD-CAT2-ONLY",
            "COD-UNLISTED-DESC",
            "COD-CAT3",
        ],
        "CODE_VALIDITY",
    ),
    **dict.fromkeys(["PTP-MI0", "PTP-MI1-NOMOD"], "NCCI_PTP"),
    **dict.fromkeys(["MUE-LINE", "MUE-DOS-POLICY", "MUE-DOS-CLINICAL", "MUE-ZERO"], "MUE"),
    "AOC-NO-PRIMARY": "ADD_ON",
    **dict.fromkeys(
        [
            "MOD-25-NON-EM",
            "MOD-59-EM",
            "MOD-59-X-BOTH",
            "MOD-57-MISUSE",
            "MOD-EM-NEEDS-25",
            "MOD-BILATERAL",
            "MOD-RTLT-SPLIT",
            "MOD-PCTC",
            "MOD-PC-FACILITY",
            "MOD-REPEAT",
            "MOD-ABN-CONFLICT",
            "MOD-JWJZ-MISSING",
            "MOD-JWJZ-CONFLICT",
            "MOD-TELEHEALTH",
            "MOD-THERAPY-GP",
        ],
        "MODIFIER",
    ),
    **dict.fromkeys(
        [
            "DRG-UNITS",
            "DRG-NDC-REQUIRED",
            "DRG-NDC-FORMAT",
            "DRG-NDC-XWALK",
            "DRG-NOC-DETAIL",
            "DRG-NOC-SPECIFIC-EXISTS",
            "DRG-ROUTE-MISMATCH",
            "DRG-ORAL-MEDICARE",
            "DRG-VACCINE-ADMIN",
            "DRG-FACILITY-POS",
            "DRG-ADMIN-HIERARCHY",
            "DRG-NONPREFERRED",
        ],
        "DRUG",
    ),
    **dict.fromkeys(["MCR-VACCINE-ADMIN", "MCR-HCPCS-SUBST", "MCR-PREVENTIVE", "MCR-AWV-FREQ"], "PAYER_RULE"),
    **dict.fromkeys(["DEM-AGE-PREVENTIVE", "DEM-AGE-CODE", "DEM-SEX-PROC", "DEM-SEX-DX"], "DEMOGRAPHIC"),
    "EM-NEW-EST": "EM",
    **dict.fromkeys(["GLB-POSTOP-EM", "GLB-PREOP-EM-57", "GLB-POSTOP-PROC"], "GLOBAL_SURGERY"),
    **dict.fromkeys(["DUP-LINE", "DUP-HISTORY"], "DUPLICATE"),
    "TF-LIMIT": "TIMELY_FILING",
    **dict.fromkeys(["AUTH-MISSING", "AUTH-MISMATCH"], "AUTHORIZATION"),
}

# `**ID — title** · CATEGORY · severity · payers`, and the grouped `**FMT-UNITS / FMT-MOD-COUNT / FMT-DOS** · FORMAT`.
HEADING = re.compile(r"^\*\*(?P<id>[A-Z0-9]+(?:-[A-Z0-9]+)+) — [^*]+\*\* · (?P<category>[A-Z_]+) ·", re.MULTILINE)
GROUP_HEADING = re.compile(r"^\*\*(?P<ids>[A-Z0-9-]+(?: / [A-Z0-9-]+)+)\*\* · (?P<category>[A-Z_]+) ·", re.MULTILINE)


def catalogue_rules() -> dict[str, str]:
    if not CATALOGUE.exists():
        pytest.skip(f"{CATALOGUE} is absent (a user's clone has no ../shared); the hard-coded list still applies")
    text = CATALOGUE.read_text(encoding="utf-8")
    found: dict[str, str] = {}
    for match in HEADING.finditer(text):
        assert match["id"] not in found, f"{match['id']} has two headings in the catalogue"
        found[match["id"]] = match["category"]
    for match in GROUP_HEADING.finditer(text):
        for rule_id in match["ids"].split(" / "):
            found[rule_id] = match["category"]
    return found


@pytest.fixture(scope="module")
def rules():
    load_rule_modules()
    return {rule.id: rule for rule in registry.all()}


def test_hard_coded_list_matches_the_catalogue():
    assert catalogue_rules() == EXPECTED


def test_catalogue_parser_finds_every_heading():
    found = catalogue_rules()
    assert len(found) == 69
    assert {"FMT-UNITS", "FMT-MOD-COUNT", "FMT-DOS", "AUTH-MISMATCH", "GLB-PREOP-EM-57"} <= set(found)


def test_registering_a_rule_id_twice_is_refused():
    rules = RuleRegistry()

    def first(ctx, line):
        yield from ()

    def second(ctx, line):
        yield from ()

    rules.register(id="TST-ONE", category="FORMAT", severity="ERROR", title="One")(first)
    with pytest.raises(ValueError, match="rule TST-ONE is registered twice"):
        rules.register(id="TST-ONE", category="MUE", severity="WARNING", title="Again")(second)
    assert len(rules) == 1 and rules.get("TST-ONE").function is first


def test_registered_ids_are_exactly_the_catalogue(rules):
    missing = sorted(set(EXPECTED) - set(rules))
    extra = sorted(set(rules) - set(EXPECTED))
    assert (missing, extra) == ([], []), f"not implemented: {missing}; not in the catalogue: {extra}"


def test_registered_ids_are_exactly_the_catalogue_file(rules):
    assert sorted(rules) == sorted(catalogue_rules())


def test_each_rule_has_the_catalogue_category(rules):
    wrong = {
        rule_id: rule.category
        for rule_id, rule in rules.items()
        if EXPECTED.get(rule_id, rule.category) != rule.category
    }
    assert wrong == {}, f"categories differ from the catalogue: {wrong}"
    assert all(rule.category in Category.values for rule in rules.values())


def test_each_rule_has_a_docstring_title_and_source(rules):
    undocumented = sorted(rule_id for rule_id, rule in rules.items() if len(rule.doc) < 20)
    no_source = sorted(rule_id for rule_id, rule in rules.items() if not rule.source.strip())
    no_title = sorted(rule_id for rule_id, rule in rules.items() if not rule.title.strip())
    assert (undocumented, no_source, no_title) == ([], [], [])
