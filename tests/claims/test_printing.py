"""The CMS-1500 (02/12) PDF: every value read back (pypdf) inside the rectangle of its box, on both variants."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from pypdf import PdfReader

from claims import printing
from claims.choices import NDCUnit, PayerType, ProviderKind
from claims.models import Provider
from claims.printing import BOXES, PAGE_HEIGHT_PT, cms1500_pdf

from .factories import make_claim, make_line, make_patient, make_payer

pytestmark = pytest.mark.django_db

VARIANTS = ("data", "full")


def placed(pdf: bytes, page: int = 0) -> list[tuple[str, float, float]]:
    """Every piece of text on a page: (text, x of its start, its baseline), in points from the top-left corner."""
    reader = PdfReader(io.BytesIO(pdf))
    found: list[tuple[str, float, float]] = []

    def visit(text, cm, tm, font_dict, font_size):
        if text.strip():
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            found.append((text.strip(), x, PAGE_HEIGHT_PT - y))

    reader.pages[page].extract_text(visitor_text=visit)
    return found


def within(box, x: float, y: float) -> bool:
    """A text starting at x on baseline y is in the box (to a hundredth of a point: the grid is in 7.2 pt steps)."""
    left, top, right, bottom = box.rect
    return left - 0.01 <= x < right - 0.01 and top < y <= bottom


def boxes_of(pdf: bytes, value: str, page: int = 0) -> list[str]:
    """The boxes whose rectangle holds the start of a text equal to ``value`` (smallest box first)."""
    hits = [(x, y) for text, x, y in placed(pdf, page) if text == value]
    assert hits, f"{value!r} is not on page {page + 1}: {[text for text, _, _ in placed(pdf, page)]}"
    inside = []
    for x, y in hits:
        for number, box in BOXES.items():
            left, top, right, bottom = box.rect
            if within(box, x, y):
                inside.append((box.last_column - box.first_column, number))
    return [number for _, number in sorted(inside)]


def in_box(pdf: bytes, value: str, box: str, page: int = 0) -> bool:
    return box in boxes_of(pdf, value, page)


def texts_in_box(pdf: bytes, box: str, page: int = 0) -> list[str]:
    return [text for text, x, y in placed(pdf, page) if within(BOXES[box], x, y)]


@pytest.fixture
def claim(biller):
    patient = make_patient(last_name="Doe", first_name="Zoë", date_of_birth=date(1950, 3, 1), sex="F")
    lines = [
        make_line("99213", modifiers=["25"], charge=Decimal("150.00"), dx_pointers="AB"),
        make_line(
            "J1745",
            modifiers=["JZ", "XS", "59", "GT"],
            units=Decimal("2.5"),
            charge=Decimal("1234.50"),
            dx_pointers="B",
            ndc="57894003001",
            ndc_unit=NDCUnit.ML,
            ndc_quantity=Decimal("25.000"),
            place_of_service="22",
            date_of_service=date(2026, 3, 10),
        ),
    ]
    return make_claim(
        biller,
        lines=lines,
        patient=patient,
        diagnoses=["J45.909", "M05.79", "E11.9", "I10", "Z79.4"],
        prior_auth_number="PA12345",
        rendering_npi="1245319599",
    )


# --- the data-only form (pre-printed red forms) -----------------------------------------------------------
@pytest.mark.parametrize("variant", VARIANTS)
def test_patient_payer_and_member_id_are_in_their_boxes(claim, variant):
    pdf = cms1500_pdf(claim=claim, variant=variant)
    assert in_box(pdf, claim.member_id, "1a")
    assert in_box(pdf, "DOE, ZOE", "2")  # capitals, accents dropped for the OCR form
    assert in_box(pdf, "03 01 1950", "3")
    assert texts_in_box(pdf, "3").count("X") == 1  # one sex box
    assert in_box(pdf, "MEDICARE PART B", "carrier")
    assert in_box(pdf, "X", "1")  # Medicare checked in box 1


def mark_at(column: int, line: int) -> tuple[float, float]:
    """Where an X at this grid column and line stands (points, rounded)."""
    return round(printing.column_x(column), 1), round(printing.line_y(line) + printing.BASELINE_PT, 1)


def marks(pdf: bytes, page: int = 0) -> set[tuple[float, float]]:
    return {(round(x, 1), round(y, 1)) for text, x, y in placed(pdf, page) if text == "X"}


def test_the_sex_and_insurance_type_marks_stand_in_their_columns(claim):
    pdf = cms1500_pdf(claim=claim, variant="data")
    assert mark_at(47, 10) in marks(pdf) and mark_at(42, 10) not in marks(pdf)  # 3: F, not M
    assert mark_at(1, 8) in marks(pdf)  # 1: Medicare
    claim.patient_sex = "M"
    claim.payer = make_payer("State Medicaid", PayerType.MEDICAID)
    pdf = cms1500_pdf(claim=claim, variant="data")
    assert mark_at(42, 10) in marks(pdf) and mark_at(47, 10) not in marks(pdf)
    assert mark_at(8, 8) in marks(pdf) and mark_at(1, 8) not in marks(pdf)  # 1: Medicaid


def test_a_commercial_payer_marks_box_1_only_when_it_says_which_plan(claim):
    claim.payer = make_payer("Acme Health", PayerType.COMMERCIAL)
    pdf = cms1500_pdf(claim=claim, variant="data")
    assert texts_in_box(pdf, "1") == []  # not guessed
    claim.payer.insurance_type = "group"
    pdf = cms1500_pdf(claim=claim, variant="data")
    assert mark_at(31, 8) in marks(pdf)


def test_the_grid_is_ten_characters_and_six_lines_an_inch_on_us_letter(claim):
    pdf = cms1500_pdf(claim=claim, variant="data")
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    assert (float(page.mediabox.width), float(page.mediabox.height)) == (612, 792)
    (x, y), *_ = [(x, y) for text, x, y in placed(pdf) if text == claim.member_id]
    # box 1a: line 8, column 50 of the form's grid (5.23 in from the left, 1.58 in from the top)
    assert (round(x / 72, 2), round(y / 72, 2)) == (5.23, 1.58)
    (x24, _), *_ = [(x, y) for text, x, y in placed(pdf) if text == "99213"]
    (xj, _), *_ = [(x, y) for text, x, y in placed(pdf) if text == "1245319599"]
    assert round((xj - x24) / 72 * 10) == 68 - 25  # 24D at column 25, 24J at column 68: 10 a inch


def test_diagnoses_a_to_l_with_icd_indicator_0(claim):
    pdf = cms1500_pdf(claim=claim, variant="data")
    for code in ("J45909", "M0579", "E119", "I10", "Z794"):  # the point is implied on the form
        assert in_box(pdf, code, "21"), code
    assert in_box(pdf, "0", "21")
    placed_codes = {text: (x, y) for text, x, y in placed(pdf)}
    assert placed_codes["J45909"][1] == placed_codes["E119"][1] < placed_codes["Z794"][1]  # A-D, then E-H
    assert placed_codes["J45909"][0] == placed_codes["Z794"][0]  # A and E in the same column


@pytest.mark.parametrize("variant", VARIANTS)
def test_each_service_line_is_in_its_row_of_box_24(claim, variant):
    pdf = cms1500_pdf(claim=claim, variant=variant)
    assert in_box(pdf, "03 09 26", "24A.1")  # from (and to: one date of service)
    assert boxes_of(pdf, "03 09 26").count("24A.1") == 2
    assert in_box(pdf, "11", "24B.1")
    assert in_box(pdf, "99213", "24D.1")
    assert in_box(pdf, "25", "24D.1")
    assert in_box(pdf, "AB", "24E.1")
    assert in_box(pdf, "150 00", "24F.1")
    assert in_box(pdf, "1", "24G.1")
    assert in_box(pdf, "1245319599", "24J.1")
    # line 2: its own date and place, four modifiers, fractional units, the NDC in the shaded half above it
    assert in_box(pdf, "03 10 26", "24A.2")
    assert in_box(pdf, "22", "24B.2")
    assert in_box(pdf, "J1745", "24D.2")
    assert in_box(pdf, "JZ XS 59 GT", "24D.2")
    assert in_box(pdf, "B", "24E.2")
    assert in_box(pdf, "1234 50", "24F.2")
    assert in_box(pdf, "2.5", "24G.2")
    assert in_box(pdf, "N457894003001 ML25", "24 shaded.2")
    assert texts_in_box(pdf, "24 shaded.1") == []  # no drug on line 1: nothing in its shaded half


@pytest.mark.parametrize("variant", VARIANTS)
def test_prior_auth_tax_id_total_and_billing_npi(claim, variant):
    Provider.objects.create(
        name="Lakeside Family Practice", kind=ProviderKind.ORGANISATION, npi="1234567893", group_tin="311234567"
    )
    pdf = cms1500_pdf(claim=claim, variant=variant)
    assert in_box(pdf, "PA12345", "23")
    assert in_box(pdf, "311234567", "25")
    assert in_box(pdf, "X", "25")  # EIN: the group's tax ID
    assert in_box(pdf, "1384 50", "28")  # 150.00 + 1234.50, computed
    assert in_box(pdf, "1234567893", "33a")
    assert in_box(pdf, "LAKESIDE FAMILY PRACTICE", "33")


def test_the_data_only_form_prints_no_labels_and_the_full_form_prints_them(claim):
    data = PdfReader(io.BytesIO(cms1500_pdf(claim=claim, variant="data"))).pages[0].extract_text()
    full = PdfReader(io.BytesIO(cms1500_pdf(claim=claim, variant="full"))).pages[0].extract_text()
    labels = [box.label for box in printing.HEADER_BOXES] + ["HEALTH INSURANCE CLAIM FORM", "24D", "24J"]
    for label in labels:
        assert label in full, label
        assert label not in data, label
    assert "review copy" in full


def test_the_full_form_draws_the_box_labels_inside_their_boxes(claim):
    pdf = cms1500_pdf(claim=claim, variant="full")
    assert in_box(pdf, "23 Prior authorisation number", "23")
    assert in_box(pdf, "1a Insured's ID (member ID)", "1a")


# --- the boxes of the rest of the CMS-1500 -----------------------------------------------------------------
def test_boxes_the_claim_leaves_empty_are_left_blank(claim):
    pdf = cms1500_pdf(claim=claim, variant="data")
    for box in ("4", "5", "7", "9", "9a", "11", "11a", "12", "14", "17", "19", "22", "26"):
        assert texts_in_box(pdf, box) == [], box
    assert texts_in_box(pdf, "32") == [] and texts_in_box(pdf, "29") == []
    for box in ("10a", "10b", "10c"):  # every claim answers the condition questions: NO unless marked
        assert texts_in_box(pdf, box) == ["X"], box
    assert texts_in_box(pdf, "6") == ["X"]  # self, the default relationship


def test_the_boxes_print_from_the_claims_fields(claim):
    claim.patient_address_line1 = "12 Main St"
    claim.patient_city, claim.patient_state, claim.patient_zip_code = "Springfield", "IL", "62701"
    claim.patient_phone = "(217) 555-0100"
    claim.auto_accident, claim.auto_accident_state = True, "NY"
    claim.employment_related = False
    claim.frequency_code, claim.original_reference = "7", "ICN0001"
    claim.referring_qualifier, claim.referring_npi = "DN", "1487654321"
    claim.referring_last_name, claim.referring_first_name = "Smith", "Ann"
    claim.patient_account_number = "ACCT42"
    pdf = cms1500_pdf(claim=claim, variant="data")
    assert in_box(pdf, "12 MAIN ST", "5")
    assert in_box(pdf, "SPRINGFIELD", "5") and in_box(pdf, "IL", "5") and in_box(pdf, "62701", "5")
    assert in_box(pdf, "217", "5") and in_box(pdf, "555-0100", "5")
    assert texts_in_box(pdf, "10b") == ["X", "NY"]
    assert texts_in_box(pdf, "10a") == ["X"]
    assert texts_in_box(pdf, "22") == ["7", "ICN0001"]
    assert in_box(pdf, "DN", "17") and in_box(pdf, "SMITH, ANN", "17") and in_box(pdf, "1487654321", "17b")
    assert in_box(pdf, "ACCT42", "26")


def test_a_replacement_prints_its_frequency_and_an_original_claim_leaves_box_22_blank(claim):
    claim.frequency_code, claim.original_reference = "1", ""
    assert texts_in_box(cms1500_pdf(claim=claim, variant="data"), "22") == []
    claim.frequency_code, claim.original_reference = "8", "ICN0002"
    assert texts_in_box(cms1500_pdf(claim=claim, variant="data"), "22") == ["8", "ICN0002"]


def test_a_yes_no_box_marks_no_only_when_the_answer_is_no(claim):
    claim.employment_related = False
    pdf = cms1500_pdf(claim=claim, variant="data")
    yes, no = mark_at(35, 20), mark_at(41, 20)
    assert no in marks(pdf) and yes not in marks(pdf)
    claim.employment_related = True
    pdf = cms1500_pdf(claim=claim, variant="data")
    assert yes in marks(pdf) and no not in marks(pdf)
    claim.employment_related = None
    pdf = cms1500_pdf(claim=claim, variant="data")
    assert yes not in marks(pdf) and no not in marks(pdf)


# --- several forms ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("variant", VARIANTS)
def test_seven_lines_print_on_two_forms_with_the_total_on_the_last(biller, variant):
    lines = [make_line(f"9921{n % 5}", charge=Decimal(10 * n)) for n in range(1, 8)]
    claim = make_claim(biller, lines=lines)
    pdf = cms1500_pdf(claim=claim, variant=variant)
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 2
    assert in_box(pdf, "CONTINUED", "28", page=0)
    assert in_box(pdf, "280 00", "28", page=1)  # 10 + 20 + … + 70, the whole claim
    assert "280 00" not in [text for text, _, _ in placed(pdf, 0)]
    assert in_box(pdf, "PAGE 1 OF 2", "carrier", page=0) and in_box(pdf, "PAGE 2 OF 2", "carrier", page=1)
    assert in_box(pdf, "60 00", "24F.6", page=0)
    assert in_box(pdf, "70 00", "24F.1", page=1)  # line 7 is the first row of the second form
    assert texts_in_box(pdf, "24D.2", page=1) == []
    for page in (0, 1):  # every form complete: patient, diagnoses, provider
        assert in_box(pdf, claim.member_id, "1a", page=page)
        assert in_box(pdf, "J45909", "21", page=page)
        assert in_box(pdf, "1234567893", "33a", page=page)


def test_six_lines_fit_one_form(biller):
    claim = make_claim(biller, lines=["99213"] * 6)
    pdf = cms1500_pdf(claim=claim, variant="data")
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 1
    assert in_box(pdf, "600 00", "28")
    assert "PAGE 1 OF 1" not in PdfReader(io.BytesIO(pdf)).pages[0].extract_text()


def test_the_payer_address_and_the_billing_phone_print(claim):
    payer = claim.payer
    payer.address_line1, payer.city, payer.state, payer.zip_code = "PO Box 1", "Albany", "NY", "12203"
    claim.billing_phone = "518-555-0142"
    pdf = cms1500_pdf(claim=claim, variant="data")
    assert texts_in_box(pdf, "carrier") == ["MEDICARE PART B", "PO BOX 1", "ALBANY, NY 12203"]
    assert in_box(pdf, "518", "33") and in_box(pdf, "555-0142", "33")
    claim.billing_phone = "555-0142 x12"  # not a 10-digit number: printed as it is
    assert in_box(cms1500_pdf(claim=claim, variant="data"), "555-0142 X12", "33")


def test_an_amount_wider_than_its_box_is_refused_not_cut(biller):
    claim = make_claim(biller, lines=[make_line("99213", charge=Decimal("123456.00"))])
    with pytest.raises(printing.CannotPrint, match=r"Box 24F of line 1: 123456\.00 has more digits"):
        cms1500_pdf(claim=claim, variant="data")


def test_an_unknown_variant_is_refused(claim):
    with pytest.raises(ValueError, match="data, full"):
        cms1500_pdf(claim=claim, variant="blank")
