"""A claim printed as a CMS-1500 (02/12) paper claim form, as a PDF (fpdf2).

Two variants, from one layout:

- ``data``: the data alone, for the pre-printed red (OCR drop-out) forms. Nothing but the values is
  printed, in 12 pt Courier on the form's character grid: 8.5 x 11 in, **10 characters per inch and 6
  lines per inch** (NUCC 1500 Reference Instruction Manual: a 10-pitch fixed font, capitals, inside the
  boxes). ``(line, column)`` below are that grid, 1-based: line 1 is the top line of the form's print area,
  column 1 its leftmost column. The positions are the ones long used by printing programs for the
  pre-printed 02/12 form (OpenEMR's ``Hcfa1500``, checked against the form's box layout); ``LEFT_PT`` and
  ``TOP_PT`` shift the whole grid, e.g. for a printer that feeds a little off.
- ``full``: the same data on the box grid with a short label in every box (our own words, with the box
  numbers), for review on plain paper. Not for submission: payers scan only the red form.

Every box is one entry of ``FIELDS`` (the claim header) or ``LINE_FIELDS`` (box 24, per service line).
An entry reads the claim (``claim.<name>``, ``claim.payer.<name>``, …) with ``getattr``, so a box the model
does not carry yet prints the day the field exists, under the name listed here; until then it stays blank.
Nothing is invented: a box with no value is left empty.

Boxes and the claim's fields (``claims.cms1500`` lists them with their 837P elements):

====== =============================================================================================
box    attribute of the claim (``claim.…``)
====== =============================================================================================
carrier ``payer.name``, ``payer.address_line1``, ``payer.city``, ``payer.state``, ``payer.zip_code``
1      Medicare and Medicaid by the payer type; a commercial payer's ``payer.insurance_type`` (``group``,
       ``feca``, ``other``, ``tricare``, ``champva``): not on the model yet, so that column stays blank
4, 7   ``insured_last_name``, ``insured_first_name``; ``insured_address_line1``, ``insured_city``,
       ``insured_state``, ``insured_zip_code`` (``insured_phone``: not on the model yet)
5      ``patient_address_line1``, ``patient_city``, ``patient_state``, ``patient_zip_code``, ``patient_phone``
6      ``patient_relationship``: ``18`` self, ``01`` spouse, ``19`` child, ``G8`` other
9      ``other_insured_last_name``, ``other_insured_first_name``; 9a ``other_insured_group_number``;
       9d ``other_insured_plan_name``
10a-c  ``employment_related``, ``auto_accident`` (and ``auto_accident_state``), ``other_accident``: True
       marks YES, False marks NO; 10d ``claim_codes`` (not on the model yet)
11     ``insured_group_number``; 11a ``insured_dob``, ``insured_sex``; 11c ``insured_plan_name``;
       11d ``has_other_plan``
12, 13 ``patient_signature_on_file``, ``insured_signature_on_file`` (not on the model yet: blank)
14     ``current_illness_date``, ``current_illness_qualifier`` (431 onset, 484 last menstrual period)
17     ``referring_qualifier`` (DN, DK), ``referring_last_name``, ``referring_first_name``; 17b ``referring_npi``
19     ``additional_info``
22     ``frequency_code`` when 7 (replacement) or 8 (void), ``original_reference``
25     ``tax_id_type`` (not on the model yet: the group TIN is marked EIN, it is the group's)
26     ``patient_account_number``
27, 29 ``accept_assignment``, ``amount_paid`` (not on the model yet: blank)
32     ``facility_name``, ``facility_address_line1``, ``facility_city``, ``facility_state``,
       ``facility_zip_code``; 32a ``facility_npi``
33     ``billing_name`` (else the name of the practice's provider with the billing NPI),
       ``billing_address_line1``, ``billing_city``, ``billing_state``, ``billing_zip_code``, ``billing_phone``
24A    ``line.date_of_service_to`` (not on the model yet: the From date again, as the NUCC manual allows)
24C    ``line.emergency``; 24H ``line.epsdt`` (not on the model yet: blank)
====== =============================================================================================

A claim of more than six lines prints on several forms, six lines each, every form complete (the same
patient, payer, diagnoses and provider boxes), "PAGE n OF m" at the top right. Box 28 carries the total of
the whole claim on the last form only and CONTINUED on the others: NUCC's manual says only "total of all
charges in 24F"; this is the multi-page convention of the payer manuals that describe it (e.g. Texas
Medicaid/TMHP, HMSA). Some Medicare contractors want each form billed as its own claim with its own total
instead: split such a claim before printing.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from fpdf import FPDF

from .choices import PayerType
from .models import Claim, ClaimLine
from .selectors import providers_by_npi

# --- the character grid -----------------------------------------------------------------------------
PAGE_WIDTH_PT = 612  # 8.5 in
PAGE_HEIGHT_PT = 792  # 11 in
COLUMN_PT = 7.2  # 10 characters per inch: 12 pt Courier is exactly 7.2 pt wide
LINE_PT = 12.0  # 6 lines per inch
LEFT_PT = 24.0  # left edge of column 1
TOP_PT = 20.0  # top edge of line 1
BASELINE_PT = 9.5  # a printed line's baseline, below the top of its line
FONT_PT = 12
RULE_INSET = 0.4  # columns: where a box's vertical rule stands before its first column
LINES_PER_FORM = 6  # box 24 has six service lines
CONTINUED = "CONTINUED"  # box 28 of every form but the last of a claim of several forms

VARIANTS = {"data": "data only, for pre-printed forms", "full": "full form, for review"}


def column_x(column: float) -> float:
    """Left edge of a grid column, in points from the page's left edge."""
    return LEFT_PT + (column - 1) * COLUMN_PT


def line_y(line: float) -> float:
    """Top edge of a grid line, in points from the page's top edge."""
    return TOP_PT + (line - 1) * LINE_PT


@dataclass(frozen=True)
class Box:
    """A box of the form: the grid cells it covers (first and last column and line, inclusive)."""

    number: str
    label: str
    first_column: int
    first_line: int
    last_column: int
    last_line: int
    shaded: bool = False

    @property
    def rect(self) -> tuple[float, float, float, float]:
        """(left, top, right, bottom) in points from the page's top-left corner. The vertical rules stand a
        little left of a column's start (``RULE_INSET``), so a value in the first column clears the rule."""
        return (
            column_x(self.first_column - RULE_INSET),
            line_y(self.first_line),
            column_x(self.last_column + 1 - RULE_INSET),
            line_y(self.last_line + 1),
        )


# The boxes, in grid cells. Box 24's six service lines are generated below (``service_line_boxes``).
HEADER_BOXES: tuple[Box, ...] = (
    Box("carrier", "Payer name and address", 41, 1, 79, 5),
    Box("1", "1 Insurance type", 1, 7, 49, 8),
    Box("1a", "1a Insured's ID (member ID)", 50, 7, 79, 8),
    Box("2", "2 Patient name (last, first)", 1, 9, 29, 10),
    Box("3", "3 Patient birth date / sex", 30, 9, 49, 10),
    Box("4", "4 Insured name", 50, 9, 79, 10),
    Box("5", "5 Patient address / phone", 1, 11, 29, 16),
    Box("6", "6 Patient relationship to insured", 30, 11, 49, 12),
    Box("7", "7 Insured address / phone", 50, 11, 79, 16),
    Box("8", "8 Reserved for NUCC use", 30, 13, 49, 16),
    Box("9", "9 Other insured name", 1, 17, 29, 18),
    Box("9a", "9a Other insured policy/group no.", 1, 19, 29, 20),
    Box("9b", "9b Reserved for NUCC use", 1, 21, 29, 22),
    Box("9c", "9c Reserved for NUCC use", 1, 23, 29, 24),
    Box("9d", "9d Other insurance plan name", 1, 25, 29, 26),
    Box("10", "10 Condition related to:", 30, 17, 49, 18),
    Box("10a", "10a Employment? (yes / no)", 30, 19, 49, 20),
    Box("10b", "10b Auto accident? (yes / no, state)", 30, 21, 49, 22),
    Box("10c", "10c Other accident? (yes / no)", 30, 23, 49, 24),
    Box("10d", "10d Claim codes", 30, 25, 49, 26),
    Box("11", "11 Insured policy group no.", 50, 17, 79, 18),
    Box("11a", "11a Insured birth date / sex", 50, 19, 79, 20),
    Box("11b", "11b Other claim ID", 50, 21, 79, 22),
    Box("11c", "11c Insurance plan name", 50, 23, 79, 24),
    Box("11d", "11d Another health plan? (yes / no)", 50, 25, 79, 26),
    Box("12", "12 Patient signature", 1, 27, 49, 29),
    Box("13", "13 Insured signature", 50, 27, 79, 29),
    Box("14", "14 Date of current illness / qualifier", 1, 30, 29, 32),
    Box("15", "15 Other date", 30, 30, 49, 32),
    Box("16", "16 Dates unable to work", 50, 30, 79, 32),
    Box("17", "17 Referring provider (qualifier, name)", 1, 33, 29, 34),
    Box("17a", "17a Other ID", 30, 33, 49, 33),
    Box("17b", "17b NPI", 30, 34, 49, 34),
    Box("18", "18 Hospitalisation dates", 50, 33, 79, 34),
    Box("19", "19 Additional claim information", 1, 35, 49, 36),
    Box("20", "20 Outside lab? / charges", 50, 35, 79, 36),
    Box("21", "21 Diagnoses (ICD ind. top right), A-L", 1, 37, 49, 40),
    Box("22", "22 Resubmission code / original ref. no.", 50, 37, 79, 38),
    Box("23", "23 Prior authorisation number", 50, 39, 79, 40),
    Box("24", "24 Service lines (shaded half of each: supplemental information, e.g. the NDC)", 1, 41, 79, 42),
    Box("25", "25 Federal tax ID (SSN / EIN)", 1, 55, 21, 56),
    Box("26", "26 Patient account no.", 22, 55, 36, 56),
    Box("27", "27 Accept assignment?", 37, 55, 49, 56),
    Box("28", "28 Total charge", 50, 55, 61, 56),
    Box("29", "29 Amount paid", 62, 55, 69, 56),
    Box("30", "30 Reserved", 70, 55, 79, 56),
    Box("31", "31 Signature of physician", 1, 57, 21, 61),
    Box("32", "32 Service facility", 22, 57, 49, 60),
    Box("32a", "32a NPI", 22, 61, 35, 61),
    Box("32b", "32b Other ID", 36, 61, 49, 61),
    Box("33", "33 Billing provider, address, phone", 50, 57, 79, 60),
    Box("33a", "33a NPI", 50, 61, 62, 61),
    Box("33b", "33b Other ID", 63, 61, 79, 61),
)

# Box 24's columns: (first column, last column, label).
LINE_COLUMNS: dict[str, tuple[int, int, str]] = {
    "24A": (1, 18, "24A Dates of service from / to"),
    "24B": (19, 21, "24B Place"),
    "24C": (22, 23, "24C EMG"),
    "24D": (24, 44, "24D Procedure code / modifiers"),
    "24E": (45, 49, "24E Dx pointer"),
    "24F": (50, 58, "24F Charges"),
    "24G": (59, 62, "24G Units"),
    "24H": (63, 64, "24H EPSDT"),
    "24I": (65, 67, "24I ID qual."),
    "24J": (68, 79, "24J Rendering NPI"),
}
SHADED_COLUMNS: dict[str, tuple[int, int]] = {"24": (1, 64), "24I": (65, 67), "24J": (68, 79)}


def service_line_top(row: int) -> int:
    """Grid line of the shaded half of service line ``row`` (1 to 6); the unshaded half is the next line."""
    return 41 + 2 * row


def service_line_boxes(row: int) -> list[Box]:
    """The cells of service line ``row``: ``24A.1`` … unshaded, ``24.1 shaded`` … the shaded half above."""
    shaded, plain = service_line_top(row), service_line_top(row) + 1
    boxes = [
        Box(f"{name} shaded.{row}", "", first, shaded, last, shaded, True)
        for name, (first, last) in SHADED_COLUMNS.items()
    ]
    boxes += [Box(f"{name}.{row}", "", first, plain, last, plain) for name, (first, last, _) in LINE_COLUMNS.items()]
    return boxes


BOXES: dict[str, Box] = {
    box.number: box
    for box in (*HEADER_BOXES, *(box for row in range(1, LINES_PER_FORM + 1) for box in service_line_boxes(row)))
}


# --- reading the claim ------------------------------------------------------------------------------
def _read(obj: Any, path: str) -> Any:
    """``obj.a.b`` for the path ``a.b``; None where an attribute is missing (a box the model lacks yet)."""
    for name in path.split("."):
        if obj is None:
            return None
        obj = getattr(obj, name, None)
    return obj


def printable(value: Any) -> str:
    """Text as the form takes it: capitals, plain ASCII (accents dropped), one line."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFKD", str(value)).encode("ascii", "ignore").decode("ascii")
    return " ".join(text.upper().split())


def text(path: str) -> Callable[[Any], str]:
    return lambda obj: printable(_read(obj, path))


def date8(path: str) -> Callable[[Any], str]:
    """MM DD YYYY (boxes 3, 11a, 14)."""

    def value(obj: Any) -> str:
        day = _read(obj, path)
        return f"{day:%m %d %Y}" if isinstance(day, date) else ""

    return value


def date6(day: date | None) -> str:
    """MM DD YY (box 24A)."""
    return f"{day:%m %d %y}" if isinstance(day, date) else ""


def when(path: str, *accepted: Any, mark: str = "X") -> Callable[[Any], str]:
    """``mark`` when the attribute holds one of ``accepted`` values (a check box); nothing when it is None."""

    def value(obj: Any) -> str:
        found = _read(obj, path)
        return mark if found is not None and found in accepted else ""

    return value


def money(amount: Decimal | None) -> str:
    """Dollars and cents with a space for the point (the form prints the dividing line): ``150 00``."""
    if amount is None:
        return ""
    return f"{Decimal(amount):.2f}".replace(".", " ")


def quantity(value: Decimal | None) -> str:
    """A number without trailing zeros: 1, 2.5, 0.025."""
    if value is None:
        return ""
    return format(Decimal(value).normalize(), "f")


def phone_parts(path: str, part: str) -> Callable[[Any], str]:
    """Area code or number of a 10-digit phone (the form prints the parentheses); any other phone is printed
    as it is, from the area code's place."""

    def value(obj: Any) -> str:
        raw = printable(_read(obj, path))
        digits = "".join(ch for ch in raw if ch.isdigit())
        if len(digits) != 10:
            return raw if part == "area" else ""
        return digits[:3] if part == "area" else f"{digits[3:6]}-{digits[6:]}"

    return value


def city_state_zip(prefix: str) -> Callable[[Any], str]:
    """CITY, ST ZIP from ``<prefix>city``, ``<prefix>state``, ``<prefix>zip_code`` (``payer.``, ``patient_`` …)."""

    def value(obj: Any) -> str:
        city, state, zip_code = (printable(_read(obj, f"{prefix}{name}")) for name in ("city", "state", "zip_code"))
        return " ".join(
            part for part in (f"{city}," if city and (state or zip_code) else city, state, zip_code) if part
        )

    return value


def name_of(prefix: str) -> Callable[[Any], str]:
    """LAST, FIRST from ``<prefix>_last_name`` and ``<prefix>_first_name``."""

    def value(obj: Any) -> str:
        last, first = printable(_read(obj, f"{prefix}_last_name")), printable(_read(obj, f"{prefix}_first_name"))
        return f"{last}, {first}" if last and first else last

    return value


INSURANCE_TYPE_COLUMNS = {
    "medicare": 1,
    "medicaid": 8,
    "tricare": 15,
    "champva": 24,
    "group": 31,
    "feca": 39,
    "other": 45,
}


def insurance_type(claim: Claim) -> str:
    """Box 1: Medicare and Medicaid by the payer type; a commercial payer's plan kind only when the payer says."""
    if claim.payer.payer_type in (PayerType.MEDICARE, PayerType.MEDICAID):
        return str(claim.payer.payer_type)
    kind = printable(_read(claim, "payer.insurance_type")).lower()
    return kind if kind in INSURANCE_TYPE_COLUMNS else ""


def box1(column_kind: str) -> Callable[[Claim], str]:
    return lambda claim: "X" if insurance_type(claim) == column_kind else ""


RELATIONSHIP = {"self": "self", "18": "self", "spouse": "spouse", "01": "spouse", "child": "child", "19": "child"}


def relationship(claim: Claim) -> str:
    value = printable(_read(claim, "patient_relationship")).lower()
    return RELATIONSHIP.get(value, "other" if value else "")


def billing_provider_name(claim: Claim) -> str:
    """Box 33's name: the claim's own when it has one, else the practice's provider with the billing NPI."""
    own = printable(_read(claim, "billing_name"))
    if own:
        return own
    provider = providers_by_npi([claim.billing_npi]).get(claim.billing_npi)
    return printable(provider.name) if provider else ""


def resubmission_code(claim: Claim) -> str:
    """Box 22: the frequency code of a replacement (7) or void (8); an original claim (1) leaves it blank."""
    code = printable(_read(claim, "frequency_code"))
    return code if code in ("7", "8") else ""


def diagnosis(index: int) -> Callable[[Claim], str]:
    """Box 21 A-L: the code without its point (the point is implied on the form)."""
    return lambda claim: printable(claim.diagnoses[index]).replace(".", "") if index < len(claim.diagnoses) else ""


def tax_id_mark(kind: str) -> Callable[[Claim], str]:
    def value(claim: Claim) -> str:
        if not claim.group_tin:
            return ""
        declared = printable(_read(claim, "tax_id_type"))
        return "X" if (declared or "EIN") == kind else ""

    return value


@dataclass(frozen=True)
class Field:
    """One value on the form: where (grid line and column), how many characters at most, and what."""

    box: str
    line: int
    column: int
    width: int
    value: Callable[[Any], str]
    right: bool = False  # right-justified in its width (amounts)


FIELDS: tuple[Field, ...] = (
    # carrier block (top right): the payer
    Field("carrier", 2, 41, 31, text("payer.name")),
    Field("carrier", 3, 41, 31, text("payer.address_line1")),
    Field("carrier", 4, 41, 31, city_state_zip("payer.")),
    # 1: insurance type; 1a: insured's ID (the member ID)
    *(Field("1", 8, column, 1, box1(kind)) for kind, column in INSURANCE_TYPE_COLUMNS.items()),
    Field("1a", 8, 50, 29, text("member_id")),
    # 2, 3: the patient as entered on the claim
    Field("2", 10, 1, 28, name_of("patient")),
    Field("3", 10, 31, 10, date8("patient_dob")),
    Field("3", 10, 42, 1, when("patient_sex", "M")),
    Field("3", 10, 47, 1, when("patient_sex", "F")),
    Field("4", 10, 50, 29, name_of("insured")),
    Field("5", 12, 1, 28, text("patient_address_line1")),
    Field("5", 14, 1, 24, text("patient_city")),
    Field("5", 14, 26, 3, text("patient_state")),
    Field("5", 16, 1, 12, text("patient_zip_code")),
    Field("5", 16, 15, 14, phone_parts("patient_phone", "area")),
    Field("5", 16, 19, 8, phone_parts("patient_phone", "number")),
    Field("6", 12, 33, 1, lambda claim: "X" if relationship(claim) == "self" else ""),
    Field("6", 12, 38, 1, lambda claim: "X" if relationship(claim) == "spouse" else ""),
    Field("6", 12, 42, 1, lambda claim: "X" if relationship(claim) == "child" else ""),
    Field("6", 12, 47, 1, lambda claim: "X" if relationship(claim) == "other" else ""),
    Field("7", 12, 50, 29, text("insured_address_line1")),
    Field("7", 14, 50, 23, text("insured_city")),
    Field("7", 14, 74, 3, text("insured_state")),
    Field("7", 16, 50, 12, text("insured_zip_code")),
    Field("7", 16, 65, 15, phone_parts("insured_phone", "area")),
    Field("7", 16, 69, 8, phone_parts("insured_phone", "number")),
    Field("9", 18, 1, 28, name_of("other_insured")),
    Field("9a", 20, 1, 28, text("other_insured_group_number")),
    Field("9d", 26, 1, 28, text("other_insured_plan_name")),
    Field("10a", 20, 35, 1, when("employment_related", True)),
    Field("10a", 20, 41, 1, when("employment_related", False)),
    Field("10b", 22, 35, 1, when("auto_accident", True)),
    Field("10b", 22, 41, 1, when("auto_accident", False)),
    Field("10b", 22, 45, 2, text("auto_accident_state")),
    Field("10c", 24, 35, 1, when("other_accident", True)),
    Field("10c", 24, 41, 1, when("other_accident", False)),
    Field("10d", 26, 31, 18, text("claim_codes")),
    Field("11", 18, 50, 29, text("insured_group_number")),
    Field("11a", 20, 53, 10, date8("insured_dob")),
    Field("11a", 20, 68, 1, when("insured_sex", "M")),
    Field("11a", 20, 75, 1, when("insured_sex", "F")),
    Field("11c", 24, 50, 29, text("insured_plan_name")),
    Field("11d", 26, 52, 1, when("has_other_plan", True)),
    Field("11d", 26, 57, 1, when("has_other_plan", False)),
    Field("12", 29, 7, 17, when("patient_signature_on_file", True, mark="SIGNATURE ON FILE")),
    Field("13", 29, 55, 17, when("insured_signature_on_file", True, mark="SIGNATURE ON FILE")),
    Field("14", 32, 2, 10, date8("current_illness_date")),
    Field("14", 32, 16, 3, text("current_illness_qualifier")),
    Field("17", 34, 1, 2, text("referring_qualifier")),
    Field("17", 34, 4, 25, name_of("referring")),
    Field("17b", 34, 33, 15, text("referring_npi")),
    Field("19", 36, 1, 48, text("additional_info")),
    # 21: ICD indicator 0 (ICD-10-CM), then A-L in three rows of four
    Field("21", 37, 42, 1, lambda claim: "0" if claim.diagnoses else ""),
    *(Field("21", 38 + index // 4, 3 + 13 * (index % 4), 8, diagnosis(index)) for index in range(12)),
    Field("22", 38, 50, 11, resubmission_code),
    Field("22", 38, 62, 18, text("original_reference")),
    Field("23", 40, 50, 29, text("prior_auth_number")),
    Field("25", 56, 1, 15, text("group_tin")),
    Field("25", 56, 17, 1, tax_id_mark("SSN")),
    Field("25", 56, 19, 1, tax_id_mark("EIN")),
    Field("26", 56, 23, 14, text("patient_account_number")),
    Field("27", 56, 38, 1, when("accept_assignment", True)),
    Field("27", 56, 43, 1, when("accept_assignment", False)),
    Field("29", 56, 62, 8, lambda claim: money(_read(claim, "amount_paid")), right=True),
    Field("32", 58, 23, 26, text("facility_name")),
    Field("32", 59, 23, 26, text("facility_address_line1")),
    Field("32", 60, 23, 26, city_state_zip("facility_")),
    Field("32a", 61, 23, 10, text("facility_npi")),
    Field("33", 57, 66, 14, phone_parts("billing_phone", "area")),
    Field("33", 57, 70, 8, phone_parts("billing_phone", "number")),
    Field("33", 58, 50, 29, billing_provider_name),
    Field("33", 59, 50, 29, text("billing_address_line1")),
    Field("33", 60, 50, 29, city_state_zip("billing_")),
    Field("33a", 61, 50, 10, text("billing_npi")),
)
# Box 28: the amount right-justified in columns 52-59 (cents in 58-59), or CONTINUED from column 52.
TOTAL_FIELD = Field("28", 56, 52, 8, lambda page: page, right=True)
CONTINUED_FIELD = Field("28", 56, 52, 9, lambda page: page)
PAGE_FIELD = Field("carrier", 1, 66, 14, lambda page: page)  # PAGE n OF m, top right


@dataclass(frozen=True)
class LineField:
    """One value of a service line: which half (shaded or not), column, width, and what."""

    box: str
    shaded: bool
    column: int
    width: int
    value: Callable[[Claim, ClaimLine], str]
    right: bool = False


def _line_date(claim: Claim, line: ClaimLine) -> date:
    return line.date_of_service or claim.date_of_service


def ndc_supplemental(claim: Claim, line: ClaimLine) -> str:
    """The shaded line: N4, the 11-digit NDC, a space, the unit qualifier and the quantity (NUCC 24)."""
    if not line.ndc:
        return ""
    amount = f"{line.ndc_unit}{quantity(line.ndc_quantity)}" if line.ndc_unit else ""
    return f"N4{line.ndc} {amount}".strip()


LINE_FIELDS: tuple[LineField, ...] = (
    LineField("24", True, 1, 61, ndc_supplemental),
    LineField("24A", False, 1, 8, lambda claim, line: date6(_line_date(claim, line))),
    LineField(
        "24A",
        False,
        10,
        8,
        lambda claim, line: date6(_read(line, "date_of_service_to") or _line_date(claim, line)),
    ),
    LineField("24B", False, 19, 2, lambda claim, line: printable(line.place_of_service or claim.place_of_service)),
    LineField("24C", False, 22, 1, lambda claim, line: "Y" if _read(line, "emergency") is True else ""),
    LineField("24D", False, 25, 7, lambda claim, line: printable(line.code)),
    LineField("24D", False, 33, 11, lambda claim, line: " ".join(printable(m) for m in line.modifiers[:4])),
    LineField("24E", False, 45, 4, lambda claim, line: printable(line.dx_pointers)[:4]),
    LineField("24F", False, 50, 8, lambda claim, line: money(line.charge), right=True),
    LineField("24G", False, 59, 4, lambda claim, line: quantity(line.units)),
    LineField("24H", False, 63, 2, lambda claim, line: printable(_read(line, "epsdt"))),
    LineField("24J", False, 68, 10, lambda claim, line: printable(_read(line, "rendering_npi") or claim.rendering_npi)),
)


# --- pages ------------------------------------------------------------------------------------------
def pages_of(lines: Sequence[ClaimLine]) -> list[Sequence[ClaimLine]]:
    """Six lines a form; a claim without lines still prints one form."""
    return [lines[start : start + LINES_PER_FORM] for start in range(0, len(lines), LINES_PER_FORM)] or [[]]


def page_total(lines: Iterable[ClaimLine], *, page: int, pages: int) -> str:
    """Box 28: the whole claim's total on the last form, CONTINUED on the others."""
    if page < pages:
        return CONTINUED
    return money(sum((line.charge for line in lines), Decimal(0)))


class CannotPrint(Exception):
    """The claim does not fit the paper form (an amount wider than its box)."""


class _Form(FPDF):
    """fpdf2 in points on US Letter, no automatic page breaks (every value has its place)."""

    def __init__(self) -> None:
        super().__init__(orientation="P", unit="pt", format="letter")
        self.set_auto_page_break(False)
        self.set_margins(0, 0, 0)
        self.set_creator("ClaimDesk")

    def put(self, line: int, column: int, width: int, value: str, *, right: bool = False, box: str = "") -> None:
        """Print ``value`` at a grid place: text longer than its box is cut, as on paper; an amount is refused."""
        if right and len(value) > width:
            raise CannotPrint(f"Box {box}: {value.replace(' ', '.')} has more digits than the form's box holds.")
        value = value[:width]
        if not value.strip():
            return
        if right:
            value = value.rjust(width)
        start = column + (len(value) - len(value.lstrip(" ")))
        self.set_font("Courier", size=FONT_PT)
        self.set_text_color(0, 0, 0)
        self.text(column_x(start), line_y(line) + BASELINE_PT, value.strip())


RED = (200, 30, 40)


def _draw_grid(pdf: _Form) -> None:
    """The boxes and their labels (the ``full`` variant)."""
    pdf.set_draw_color(*RED)
    pdf.set_line_width(0.6)
    pdf.set_text_color(*RED)
    pdf.set_font("Helvetica", size=9)
    pdf.text(column_x(1), line_y(2) + 2, "HEALTH INSURANCE CLAIM FORM")
    pdf.set_font("Helvetica", size=6)
    pdf.text(column_x(1), line_y(3) + 2, "CMS-1500 (02/12) layout - review copy, not for submission")
    for box in BOXES.values():
        left, top, right, bottom = box.rect
        if box.shaded:
            pdf.set_fill_color(253, 226, 228)
            pdf.rect(left, top, right - left, bottom - top, style="F")
        pdf.rect(left, top, right - left, bottom - top)
        if box.label:
            pdf.set_font("Helvetica", size=5)
            if box.first_line == box.last_line:  # one line high: the label at the right, clear of the value
                pdf.text(right - 1.5 - pdf.get_string_width(box.label), top + 5, box.label)
            else:
                pdf.text(left + 1.5, top + 5, box.label)
    # Box 24's column heads, in its header row.
    pdf.set_font("Helvetica", size=5)
    for first, last, label in LINE_COLUMNS.values():
        number, words = label.split(" ", 1)
        room = (last + 1 - first) * COLUMN_PT - 3
        while pdf.get_string_width(words) > room:
            words = words[:-1]
        pdf.text(column_x(first - RULE_INSET) + 1.5, line_y(42) + 6, number)
        pdf.text(column_x(first - RULE_INSET) + 1.5, line_y(42) + 11, words)


def cms1500_pdf(*, claim: Claim, variant: str) -> bytes:
    """The claim as CMS-1500 (02/12) forms, one PDF: ``variant`` ``data`` (for pre-printed red forms) or
    ``full`` (box grid and labels, for review). Six service lines a form; see the module's notes."""
    if variant not in VARIANTS:
        raise ValueError(f"Unknown CMS-1500 variant {variant!r}: choose one of {', '.join(VARIANTS)}.")
    lines = sorted(claim.lines.all(), key=lambda line: line.number)
    header = [(field, field.value(claim)) for field in FIELDS]  # the same on every form
    pdf = _Form()
    pdf.set_title(f"CMS-1500 {claim.number}")
    chunks = pages_of(lines)
    for page, chunk in enumerate(chunks, start=1):
        pdf.add_page()
        if variant == "full":
            _draw_grid(pdf)
        for field, value in header:
            pdf.put(field.line, field.column, field.width, value, right=field.right, box=field.box)
        if len(chunks) > 1:
            pdf.put(PAGE_FIELD.line, PAGE_FIELD.column, PAGE_FIELD.width, f"PAGE {page} OF {len(chunks)}")
        for row, line in enumerate(chunk, start=1):
            top = service_line_top(row)
            for field in LINE_FIELDS:
                pdf.put(
                    top if field.shaded else top + 1,
                    field.column,
                    field.width,
                    field.value(claim, line),
                    right=field.right,
                    box=f"{field.box} of line {line.number}",
                )
        total = page_total(lines, page=page, pages=len(chunks))
        where = CONTINUED_FIELD if total == CONTINUED else TOTAL_FIELD
        pdf.put(where.line, where.column, where.width, total, right=where.right, box="28")
    return bytes(pdf.output())
