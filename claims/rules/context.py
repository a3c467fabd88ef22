"""What a rule sees: the claim, the reference facts, the resolved payer settings, and helpers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ..choices import PayerType
from .data import code_list
from .inputs import ClaimInput, HistoryItem, LineInput
from .reference import ReferenceData
from .registry import NotChecked

MEDICARE, MEDICAID, COMMERCIAL = PayerType.MEDICARE.value, PayerType.MEDICAID.value, PayerType.COMMERCIAL.value

EM_RANGES = (("99202", "99499"), ("92002", "92014"))
LIABILITY_MODIFIERS = ("GA", "GY", "GZ", "GX")
DISTINCT_MODIFIERS = ("59", "XE", "XS", "XP", "XU")
ANATOMIC_MODIFIERS = frozenset(
    [
        "E1",
        "E2",
        "E3",
        "E4",
        "FA",
        "F1",
        "F2",
        "F3",
        "F4",
        "F5",
        "F6",
        "F7",
        "F8",
        "F9",
        "TA",
        "T1",
        "T2",
        "T3",
        "T4",
        "T5",
        "T6",
        "T7",
        "T8",
        "T9",
        "LT",
        "RT",
        "LC",
        "LD",
        "RC",
        "LM",
        "RI",
    ]
)
FACILITY_POS = ("19", "21", "22", "23")


def in_range(code: str, low: str, high: str) -> bool:
    """Whether a 5-character code is in an inclusive range of the same shape (99202-99499, J8501-J8999)."""
    return len(code) == len(low) and low <= code <= high


def is_em(code: str) -> bool:
    return any(in_range(code, low, high) for low, high in EM_RANGES)


def is_lab(code: str) -> bool:
    """A clinical laboratory code: CPT pathology and laboratory (80047-89398), a PLA code (NNNNU), or a
    HCPCS Level II laboratory code (CMS type of service 5: ``data/laboratory_hcpcs.txt``)."""
    return (
        in_range(code, "80047", "89398")
        or (len(code) == 5 and code[:4].isdigit() and code[4] == "U")
        or code in code_list("laboratory_hcpcs.txt")
    )


# The settings of each payer type where neither the stored payer nor the claim's inline payer_config says
# otherwise (rules catalogue §0.5 and Appendix B). The one place they are written.
PAYER_TYPE_DEFAULTS: dict[str, dict[str, Any]] = {
    MEDICARE: {
        "timely_filing_days": 365,
        "apply_ncci": True,
        "rejects_s_codes": True,
        "ndc_required_all_drug_lines": False,
    },
    MEDICAID: {
        "timely_filing_days": 365,
        "apply_ncci": True,
        "rejects_s_codes": False,
        "ndc_required_all_drug_lines": True,
    },
    COMMERCIAL: {
        "timely_filing_days": 90,
        "apply_ncci": True,
        "rejects_s_codes": False,
        "ndc_required_all_drug_lines": False,
    },
}


@dataclass(frozen=True, kw_only=True)
class ResolvedPayer:
    """Payer settings after inline ``payer_config`` > stored payer > payer-type defaults (``resolve_payer``)."""

    payer_type: str
    name: str = ""
    timely_filing_days: int
    apply_ncci: bool
    rejects_s_codes: bool
    ndc_required_all_drug_lines: bool
    pa_required_codes: frozenset[str] = frozenset()
    pa_required_ranges: tuple[tuple[str, str], ...] = ()
    preferred_products: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)

    @property
    def is_medicare(self) -> bool:
        return self.payer_type == MEDICARE

    def requires_prior_auth(self, code: str) -> bool:
        return code in self.pa_required_codes or any(in_range(code, low, high) for low, high in self.pa_required_ranges)


def resolve_payer(claim: ClaimInput, stored=None) -> ResolvedPayer:
    """The payer settings a claim is checked with: the claim's inline ``payer_config``, else the ``stored`` payer
    (a ``claims.models.Payer`` of the claim's payer type, or None), else the payer type's defaults."""
    payer_type = claim.payer_type
    values: dict[str, Any] = {
        **PAYER_TYPE_DEFAULTS[payer_type],
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


_SEVERAL_DATES_KEY = "context.several_dates"


class ClaimContext:
    """One claim with its reference data; built once per claim by the engine."""

    def __init__(self, claim: ClaimInput, ref: ReferenceData, payer: ResolvedPayer, demographic_edits=()):
        self.claim = claim
        self.ref = ref
        self.payer = payer
        self.demographic_edits = demographic_edits
        self._invalid_lines: frozenset[int] = frozenset()
        self._active_lines: list[LineInput] | None = None
        self._lines_on: dict[tuple[date, str | None], list[LineInput]] = {}
        self.cache: dict[str, object] = {}  # per-claim memo for rules that share work (e.g. PTP pairs)
        self._not_checked: dict[tuple[str, str, str], list[int]] = {}

    def not_checked(self, *, category: str, check: str, reason: str, line: int | None = None) -> None:
        """Record that a check could not run, and why: the one way a rule says "I could not decide".

        ``check`` names it in the billing team's words ("CPT code validity"), ``reason`` says what is
        missing ("no CPT code set loaded"); ``line`` is the line it could not run on (None: the whole
        claim). Entries with the same category, check and reason are merged, their lines listed in
        order. The claim's output lists them under ``unchecked_checks`` and their categories under
        ``unchecked``, so a check that did not run never looks like one that passed::

            ctx.not_checked(category=Category.CODE_VALIDITY, check="CPT code validity",
                            reason="no CPT code set loaded", line=line.number)
        """
        lines = self._not_checked.setdefault((str(category), check, reason), [])
        if line is not None and line not in lines:
            lines.append(line)

    @property
    def unchecked_checks(self) -> list[NotChecked]:
        """The checks rules reported as not run on this claim (``not_checked``), in the order reported."""
        return [
            NotChecked(category, check, reason, tuple(lines))
            for (category, check, reason), lines in self._not_checked.items()
        ]

    @property
    def invalid_lines(self) -> frozenset[int]:
        """Lines whose code is not valid on their date of service (COD-EFFECTIVE): left out of every
        pair and units evaluation as partners (catalogue §0.6 rule 1). Set by the engine."""
        return self._invalid_lines

    @invalid_lines.setter
    def invalid_lines(self, lines: frozenset[int]) -> None:
        self._invalid_lines = frozenset(lines)
        self._active_lines = None
        self._lines_on = {}
        self.cache = {}

    @property
    def is_medicare(self) -> bool:
        return self.payer.is_medicare

    @property
    def lines(self) -> tuple[LineInput, ...]:
        return self.claim.lines

    @property
    def active_lines(self) -> list[LineInput]:
        """Lines that take part in pair, units and hierarchy checks (a shared list: do not modify)."""
        if self._active_lines is None:
            invalid = self._invalid_lines
            self._active_lines = [line for line in self.claim.lines if line.number not in invalid]
        return self._active_lines

    def same_provider_history(self, dos: date, npi: str) -> list[HistoryItem]:
        """History services of the same rendering NPI on the same date (NCCI edits apply across claims)."""
        return [item for item in self.claim.history if item.dos == dos and (item.rendering_npi or npi) == npi]

    def lines_on(self, dos: date, npi: str | None = None) -> list[LineInput]:
        """Active lines on a date (of one rendering NPI); a shared list: do not modify."""
        key = (dos, npi)
        found = self._lines_on.get(key)
        if found is None:
            found = self._lines_on[key] = [
                line for line in self.active_lines if line.dos == dos and (npi is None or line.rendering_npi == npi)
            ]
        return found

    def codes_on(self, dos: date, npi: str) -> set[str]:
        codes = {line.code for line in self.lines_on(dos, npi)}
        codes.update(item.code for item in self.same_provider_history(dos, npi))
        return codes

    @property
    def has_several_dates(self) -> bool:
        """Whether the claim's lines and history span more than one date of service (once per claim)."""
        found = self.cache.get(_SEVERAL_DATES_KEY)
        if found is None:
            dos = self.claim.dos
            found = self.cache[_SEVERAL_DATES_KEY] = any(line.dos != dos for line in self.claim.lines) or any(
                item.dos != dos for item in self.claim.history
            )
        return found  # type: ignore[return-value]

    def diagnosis(self, pointer: str) -> str | None:
        index = ord(pointer) - ord("A") if len(pointer) == 1 else -1
        if 0 <= index < len(self.claim.diagnoses):
            return self.claim.diagnoses[index]
        return None
