"""What a HCPCS Level II descriptor says about a drug: billing dose, route, and "not otherwise classified".

Pure functions over the descriptor text, no database:

* ``parse_drug_dose("Injection, dexamethasone sodium phosphate, 1 mg")`` -> ``(Decimal("1"), "mg")``;
  ``"per 10 mg"``, ``"0.1 mg"``, ``"100,000 units"``, ``"per ml"`` (1 ml), ``"1 million units"``;
  ``None`` when the text states no dose (``"per study dose"``, ``"per square centimeter"``).
* ``parse_drug_route("Prescription drug, oral, non chemotherapeutic, nos")`` -> ``DrugRoute.ORAL``;
  ``""`` when the text names no route.
* ``is_noc("Unclassified drugs")`` -> ``True``: unlisted, NOC/NOS, not otherwise classified/specified.

Units are normalised to ``mg``, ``mcg``, ``g``, ``ml``, ``unit``, ``iu``, ``meq``, ``mmol``, ``mci`` and
``uci`` (millicurie / microcurie), the way the ASP file states billing units (``1 MG``, ``1 UNIT``).
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from ..choices import DrugRoute

# Spelling in descriptors -> normalised unit. Longer spellings first so the alternation prefers them.
_UNIT_SPELLINGS: dict[str, str] = {
    "micrograms": "mcg",
    "microgram": "mcg",
    "mcg": "mcg",
    "milligrams": "mg",
    "milligram": "mg",
    "mg": "mg",
    "grams": "g",
    "gram": "g",
    "gm": "g",
    "g": "g",
    "milliliters": "ml",
    "milliliter": "ml",
    "ml": "ml",
    "cc": "ml",
    "international units": "iu",
    "i.u.": "iu",
    "iu": "iu",
    "usp units": "unit",
    "usp unit": "unit",
    "units": "unit",
    "unit": "unit",
    "meq": "meq",
    "mmol": "mmol",
    "millicuries": "mci",
    "millicurie": "mci",
    "mci": "mci",
    "microcuries": "uci",
    "microcurie": "uci",
    "uci": "uci",
}
_UNIT_PATTERN = "|".join(re.escape(s) for s in sorted(_UNIT_SPELLINGS, key=len, reverse=True))
_NUMBER = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+"
_MULTIPLIERS = {"million": Decimal(1_000_000), "billion": Decimal(1_000_000_000)}

# "per 10 mg", "10 mg", "1 million units", "per ml", "per i.u.": the unit must end at a word edge and
# must not be a concentration ("mg/ml") or a percentage.
_DOSE = re.compile(
    rf"(?P<per>\bper\s+)?(?P<amount>{_NUMBER})?\s*(?P<mult>million|billion)?\s*(?<![a-z])(?P<unit>{_UNIT_PATTERN})"
    rf"(?![a-z0-9])(?!\s*/\s*(?:{_UNIT_PATTERN})\b)",
    re.IGNORECASE,
)

_NOC = re.compile(
    r"(?<![\w-])(?:noc|nos)\b|\bunlisted\b|\bunclassified\b|\bunspecified\b|\bmiscellaneous\b"
    r"|\bnot[- ]otherwise[- ](?:classified|specified|listed)\b|\bnot elsewhere (?:classified|specified)\b",
    re.IGNORECASE,
)
# Quality-measure codes report "reason not otherwise specified": that is a reason, not a NOC code.
_NOC_REASON = re.compile(r"\breasons?,? not otherwise specified\b", re.IGNORECASE)


# Route words, most specific first: an intravitreal implant is intravitreal, an "injection ... oral"
# never happens, "for intrathecal use" beats the leading "Injection,".
_ROUTES: tuple[tuple[re.Pattern[str], DrugRoute], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), route)
    for pattern, route in (
        (r"\bintravitreal", DrugRoute.INTRAVITREAL),
        (r"\bintrathecal", DrugRoute.INTRATHECAL),
        (r"\binhal(?:ation|ed)\b", DrugRoute.INHALATION),
        (r"\b(?:intra)?nasal\b", DrugRoute.NASAL),
        (r"\bophthalmic\b", DrugRoute.OPHTHALMIC),
        (r"\bvaginal(?:ly)?\b", DrugRoute.VAGINAL),
        (r"\brectal(?:ly)?\b", DrugRoute.RECTAL),
        (r"\bsublingual\b", DrugRoute.SUBLINGUAL),
        (r"\btransdermal\b", DrugRoute.TRANSDERMAL),
        (r"\bimplant\b", DrugRoute.IMPLANT),
        (r"\boral(?:ly)?\b", DrugRoute.ORAL),
        (r"\btopical(?:ly)?\b", DrugRoute.TOPICAL),
        (r"^\s*infusion\b", DrugRoute.INFUSION),
        (r"^\s*injection\b|\binjectable\b|\bfor injection\b", DrugRoute.INJECTION),
        (r"\b(?:intravenous|iv) infusion\b|\binfusion\b", DrugRoute.INFUSION),
        (r"\binjection\b|\bintramuscular\b|\bsubcutaneous\b", DrugRoute.INJECTION),
    )
)


def _amount(text: str | None) -> Decimal:
    if not text:
        return Decimal(1)
    try:
        return Decimal(text.replace(",", ""))
    except InvalidOperation:  # pragma: no cover - the pattern only lets numbers through
        return Decimal(1)


def _inside_parentheses(text: str, position: int) -> bool:
    return text.count("(", 0, position) > text.count(")", 0, position)


_QUALIFIER = re.compile(r"(?:up to|less than or equal to|greater than|over)$", re.IGNORECASE)


def _is_whole_segment(text: str, match: re.Match[str]) -> bool:
    """True for ", 10 mg," / ", up to 5 mg" / a trailing ", 1 mg": the dose is the whole part."""
    before = _QUALIFIER.sub("", text[: match.start()].rstrip()).rstrip()
    after = text[match.end() :].lstrip()
    return before.endswith((",", ";")) and (not after or after[0] in ",;(")


def parse_drug_dose(text: str) -> tuple[Decimal, str] | None:
    """The billing dose a descriptor states, as (amount, unit), or None.

    A "per ..." phrase wins (it is the billing unit); then a dose standing as its own comma-separated
    part (``"Carbidopa 5 mg/levodopa 20 mg enteral suspension, 100 ml"`` -> 100 ml); otherwise the first
    dose outside parentheses
    (``"0.9 mg, provided in 1.1 mg vial"`` -> 0.9 mg; ``"300 micrograms (1500 i.u.)"`` -> 300 mcg), except
    that a combination followed by its total in parentheses gives the total (``"7.5 mg/2.5 mg (10 mg)"``
    -> 10 mg); with doses only in parentheses, the first of them (``"(500 ml = 1 unit)"`` -> 500 ml).
    Concentrations (``"mg/ml"``) are not doses. A bare unit word counts only after "per" (``"per ml"``):
    "unit dose form" states no dose.
    """
    if not text:
        return None
    candidates = [m for m in _DOSE.finditer(text) if m.group("amount") or m.group("per")]
    if not candidates:
        return None
    per = [m for m in candidates if m.group("per")]
    outside = [m for m in candidates if not _inside_parentheses(text, m.start())]
    inside = [m for m in candidates if _inside_parentheses(text, m.start())]
    whole = [m for m in outside if _is_whole_segment(text, m)]
    if per:
        chosen = per[0]
    elif whole:
        chosen = whole[0]
    elif len(outside) > 1 and inside and inside[0].start() > outside[-1].end():
        chosen = inside[0]
    else:
        chosen = outside[0] if outside else inside[0]
    amount = _amount(chosen.group("amount"))
    if chosen.group("mult"):
        amount *= _MULTIPLIERS[chosen.group("mult").lower()]
    unit = _UNIT_SPELLINGS[chosen.group("unit").lower()]
    amount = amount.quantize(Decimal(1)) if amount == amount.to_integral() else amount.normalize()
    return amount, unit


def parse_drug_route(text: str) -> str:
    """The route a descriptor states (a ``DrugRoute`` value), or "" when it names none."""
    if not text:
        return ""
    for pattern, route in _ROUTES:
        if pattern.search(text):
            return route
    return ""


def is_noc(text: str) -> bool:
    """True when the descriptor marks a not-otherwise-classified / unlisted code."""
    if not text:
        return False
    return bool(_NOC.search(_NOC_REASON.sub("", text)))
