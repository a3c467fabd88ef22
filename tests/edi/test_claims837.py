"""837P reader: every shared sample, field spot checks, and malformed claims with their segment."""

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edi.claims837 import Reader837, read_837p
from edi.records import Interchange837
from edi.write837 import render_837p
from edi.x12 import X12Error

from .builders import full_interchange
from .conftest import SAMPLE_NAMES, sample_path, sample_text


def count_segments(text: str, segment_id: str) -> int:
    """Counted independently of the reader: split on the terminator, look at the IDs."""
    return sum(1 for segment in text.split("~") if segment.strip().split("*")[0] == segment_id)


@pytest.mark.parametrize("name", SAMPLE_NAMES)
@pytest.mark.shared_data
def test_every_sample_reads_with_its_clm_and_lx_counts(name):
    text = sample_text(name)
    interchange = read_837p(sample_path(name))
    claims = interchange.claims
    assert len(claims) == count_segments(text, "CLM")
    assert sum(len(claim.lines) for claim in claims) == count_segments(text, "LX")
    assert all(line.procedure_code and line.charge is not None for claim in claims for line in claim.lines)
    assert interchange.transactions[0].version == "005010X222A2"


@pytest.mark.parametrize("name", ["demo.example6.837", "demo.example9.837", "demo.example11.837"])
@pytest.mark.shared_data
def test_samples_that_use_another_component_separator_than_isa16_read_their_codes(name):
    reader = Reader837(sample_path(name))
    claims = [claim for _transaction, claim in reader.claims()]
    procedure_codes = [line.procedure_code for claim in claims for line in claim.lines]
    assert all(">" not in code and code.isalnum() for code in procedure_codes)
    assert all(claim.place_of_service.isdigit() for claim in claims)
    assert reader.x12.delimiters.component == ">" and reader.x12.delimiters.component_declared == ":"
    assert "'>' was used" in reader.notices[0]


@pytest.mark.shared_data
def test_the_mixed_separator_file_reads_as_if_it_had_declared_its_separator():
    text = sample_text("demo.example9.837")
    declared = text.replace("*:~", "*>~", 1)  # ISA16 ':' -> '>', nothing else changes
    assert declared != text
    assert read_837p(text.encode()) == read_837p(declared.encode())


@pytest.mark.shared_data
def test_office_visit_with_dependent_patient():
    claim = read_837p(sample_path("demo.837")).claims[0]
    provider = claim.billing_provider
    assert (provider.name, provider.npi, provider.tax_id) == ("BEN KILDARE SERVICE", "1912301953", "587654321")
    assert provider.address.city == "MIAMI" and provider.address.postal_code == "331110000"
    assert provider.taxonomy_code == "203BF0100Y"
    assert claim.pay_to.address.line1 == "2345 OCEAN BLVD"
    assert claim.subscriber.member_id == "JS00111223333"
    assert claim.subscriber.coverage.group_number == "2222-SJ"
    assert claim.subscriber.coverage.claim_filing_indicator == "CI"
    assert claim.subscriber.payer.identifier == "999996666"
    assert claim.patient.relationship == "19"
    assert (claim.patient.person.first_name, claim.patient.person.birth_date) == ("TED", date(1973, 5, 1))
    assert claim.patient.person.sex == "M"
    assert (claim.claim_id, claim.total_charge, claim.place_of_service, claim.frequency_code) == (
        "26463774", Decimal("100"), "11", "1")
    assert [(d.qualifier, d.code) for d in claim.diagnoses] == [("BK", "0340"), ("BF", "V7389")]
    assert claim.reference("D9") == "17312345600006351"
    assert [line.diagnosis_pointers for line in claim.lines] == [[1], [1], [2], [2]]
    assert claim.lines[2].service_date.start == date(2006, 10, 10)
    assert claim.lines[0].units == Decimal("1.0") and claim.lines[0].unit_basis == "UN"


@pytest.mark.shared_data
def test_coordination_of_benefits_secondary_claim():
    claim = read_837p(sample_path("demo.cob.example3.B.837")).claims[0]
    assert claim.subscriber.coverage.payer_responsibility == "S"
    [other] = claim.other_coverage
    assert other.coverage.payer_responsibility == "P" and other.coverage.relationship == "01"
    assert [(a.group_code, a.reason_code, a.amount) for a in other.adjustments] == [
        ("PR", "1", Decimal("21.89")), ("PR", "2", Decimal("15.00"))]
    assert other.payer_paid_amount == Decimal("39.15") and other.amount("EAF") == Decimal("36.89")
    assert (other.benefits_assignment, other.patient_signature_source, other.release_of_information) == ("Y", "P", "Y")
    assert other.insured.identifier == "JS00111223333" and other.payer.name == "KEY INSURANCE COMPANY"
    assert claim.rendering_provider.npi == "1999996666" and claim.rendering_provider.taxonomy_code == "204C00000X"
    assert claim.rendering_provider.reference("G2") == "88877"
    assert claim.service_facility.address.city == "MIAMI"
    # the line adjudication (2430) is kept whole, in order, on its line
    assert [segment.id for segment in claim.lines[0].tail_segments] == ["SVD", "CAS", "DTP"]
    assert claim.lines[0].tail_segments[0].elements[2] == ("HC", "99213")


@pytest.mark.shared_data
def test_referring_provider_and_modifier_25_on_a_medicare_secondary_claim():
    claim = read_837p(sample_path("demo.cob.example4.837")).claims[0]
    assert claim.referring_provider.name == "LEE T BRYHT" and claim.referring_provider.reference("1G") == "B01010"
    assert claim.lines[0].modifiers == ["25"]
    assert claim.other_coverage[0].payer.identifier == "59999"


@pytest.mark.shared_data
def test_drug_lines_with_ndc():
    claim = read_837p(sample_path("demo.drug.example10.2.837")).claims[0]
    drugs = [line.drug for line in claim.lines]
    assert drugs[0] is None
    assert [(d.ndc, d.quantity, d.unit) for d in drugs[1:3]] == [
        ("00004196501", Decimal("7.00"), "UN"), ("63323024910", Decimal("14.00"), "UN")]
    assert drugs[1].prescription_reference.qualifier == "XZ" and drugs[1].prescription_reference.value == "2530001"
    line = claim.lines[1]
    assert (line.service_date.start, line.service_date.end) == (date(2004, 2, 1), date(2004, 2, 7))
    assert line.providers[0].entity_code == "DK" and line.providers[0].npi == "1112223338"
    single = read_837p(sample_path("demo.drug.example10.1.837")).claims[0].lines[1]
    assert (single.procedure_code, single.drug.ndc, single.drug.quantity, single.drug.unit) == (
        "J1550", "00026063512", Decimal("10.00"), "ML")
    assert [segment.id for segment in single.extra_segments] == ["AMT"]  # sales tax, kept


@pytest.mark.shared_data
def test_ambulance_claim():
    claim = read_837p(sample_path("demo.ambulance.example5.837")).claims[0]
    assert [line.modifiers for line in claim.lines] == [["RH"]] * 4
    assert [line.procedure_code for line in claim.lines] == ["A0427", "A0425", "A0422", "A0382"]
    assert claim.lines[1].units == Decimal("21.00")
    assert claim.lines[0].diagnosis_pointers == [1, 2, 3, 4] and claim.lines[0].emergency == "Y"
    assert claim.lines[0].notes[0].text == "CARDIAC EMERGENCY" and claim.lines[0].reference("6R") == "1001"
    assert [segment.id for segment in claim.extra_segments] == ["CR1", "CRC", "CRC"]
    assert [party.entity_code for party in claim.providers] == ["PW", "45"]  # pick-up and drop-off
    assert claim.providers[1].address.city == "CHEYENNE"
    assert claim.related_causes == ["OA"] and claim.date("439").start == date(2005, 2, 8)
    assert claim.patient is None and claim.subscriber.coverage.relationship == "18"
    assert claim.subscriber.insured.birth_date == date(1963, 7, 29)


@pytest.mark.shared_data
def test_auto_accident_claim():
    claim = read_837p(sample_path("demo.autoaccident.837")).claims[0]
    assert (claim.related_causes, claim.accident_state) == (["AA"], "CA")
    assert claim.date("439").start == date(2005, 10, 31)
    assert claim.patient.relationship == "21"
    assert claim.patient.person.reference("Y4") == "32323232" and claim.patient.person.phone == "8157665902"
    assert claim.rendering_provider.taxonomy_code == "208D00000X"
    assert claim.service_facility.phone == "3425557987"


@pytest.mark.shared_data
def test_onset_date_and_encounter_sample():
    interchange = read_837p(sample_path("demo.example2.837"))
    assert interchange.transactions[0].claim_or_encounter == "RP"
    assert interchange.claims[0].date("431").start == date(1998, 10, 3)


@pytest.mark.shared_data
def test_anesthesia_minutes_and_pointer_written_as_decimal():
    line = read_837p(sample_path("demo.example9.837")).claims[0].lines[0]
    assert (line.unit_basis, line.units, line.modifiers) == ("MJ", Decimal("61.00"), ["QK", "QS", "P1"])
    assert line.diagnosis_pointers == [1]  # written "1.00" in the file


@pytest.mark.shared_data
def test_dme_line_forms_and_ordering_provider_are_kept():
    claim = read_837p(sample_path("demo.example7.837")).claims[0]
    line = claim.lines[0]
    assert line.modifiers == ["RR"]
    assert [segment.id for segment in line.extra_segments] == ["PWK", "CR3"]
    assert [d.qualifier for d in line.dates] == ["472", "607", "463", "461"]
    assert line.providers[0].address.city == "RICHMOND" and line.providers[0].contacts[0].name == "LEE"
    assert [segment.id for segment in line.tail_segments] == ["LQ"] + ["FRM"] * 9


@pytest.mark.shared_data
def test_subscriber_level_pat_is_kept():
    claim = read_837p(sample_path("demo.example8.837")).claims[0]
    assert claim.subscriber.extra_segments[0].id == "PAT"
    assert claim.subscriber.extra_segments[0].elements[6:8] == (("01",), ("155.00",))  # PAT07 unit, PAT08 weight
    assert claim.billing_provider.reference("1G") == "0426960001"


# ---- malformed claims (built in the test) -----------------------------------------------------
def written() -> str:
    return render_837p(full_interchange())


def segment_number_of(text: str, prefix: str) -> int:
    return next(n for n, seg in enumerate(text.split("~\n"), 1) if seg.startswith(prefix))


def read_error(text: str) -> X12Error:
    with pytest.raises(X12Error) as caught:
        read_837p(text.encode())
    return caught.value


def test_unsupported_transaction_version():
    text = written().replace("*X*005010X222A1~", "*X*004010X098A1~")
    error = read_error(text)
    assert (error.segment_number, error.segment_id) == (2, "GS")
    assert "unsupported version '004010X098A1' (GS08)" in str(error)


def test_not_an_837():
    text = written().replace("ST*837*", "ST*835*")
    error = read_error(text)
    assert (error.segment_number, error.segment_id) == (3, "ST")


def test_bad_claim_charge():
    text = written().replace("CLM*PCN-2026-0002*145.25*", "CLM*PCN-2026-0002*14O.25*")
    error = read_error(text)
    assert (error.segment_number, error.segment_id) == (segment_number_of(text, "CLM*PCN-2026-0002"), "CLM")
    assert "CLM02 '14O.25' is not a number" in str(error)


def test_bad_birth_date():
    text = written().replace("DMG*D8*20120615", "DMG*D8*20121315")
    error = read_error(text)
    assert (error.segment_number, error.segment_id) == (segment_number_of(text, "DMG*D8*20121315"), "DMG")
    assert "not a date" in str(error)


def test_bad_diagnosis_pointer():
    text = written().replace("SV1*HC:96372*45.25*UN*1***1~", "SV1*HC:96372*45.25*UN*1***13~", 1)
    error = read_error(text)
    assert (error.segment_number, error.segment_id) == (segment_number_of(text, "SV1*HC:96372"), "SV1")
    assert "pointer '13' is not a number 1-12" in str(error)


def test_service_line_before_any_claim():
    text = written().replace("HL*3*2*23*0~\n", "HL*3*2*23*0~\nLX*1~\n", 1).replace("SE*106*", "SE*107*")
    error = read_error(text)
    assert (error.segment_number, error.segment_id) == (segment_number_of(text, "HL*3*2*23") + 1, "LX")
    assert "service line (LX) outside a claim" in str(error)


def test_hl_out_of_sequence():
    text = written().replace("HL*3*2*23*0", "HL*4*2*23*0")
    error = read_error(text)
    assert (error.segment_number, error.segment_id) == (segment_number_of(text, "HL*4*2"), "HL")
    assert "HL01 '4' out of sequence (expected 3)" in str(error)


def test_claim_without_subscriber():
    text = written()
    start, end = text.index("HL*2*1*22"), text.index("CLM*PCN-2026-0001")
    broken = text[:start] + text[end:]
    removed = text[start:end].count("~")
    broken = broken.replace("SE*106*", f"SE*{106 - removed}*")
    error = read_error(broken)
    assert error.segment_id == "CLM" and "without a subscriber level" in str(error)


# ---- hostile input ----------------------------------------------------------------------------
VALID = render_837p(full_interchange())


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cut=st.integers(min_value=0, max_value=len(VALID)))
def test_any_truncation_raises_only_x12_error(cut):
    try:
        read_837p(VALID[:cut].encode())
    except X12Error as error:
        assert error.segment_number is None or error.segment_number >= 1
    else:
        assert VALID[:cut].rstrip() == VALID.rstrip()  # only the whole file reads without error


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    edits=st.lists(
        st.tuples(st.integers(min_value=0, max_value=len(VALID) - 1), st.sampled_from(["del", "ins", "set"]),
                  st.sampled_from(list("*:~^>\n0123456789ABZ -.") + ["", "\x00", "é"])),
        min_size=1, max_size=4,
    )
)
def test_any_mutation_raises_only_x12_error(edits):
    text = VALID
    for position, action, char in edits:
        position = min(position, len(text) - 1)
        if action == "del":
            text = text[:position] + text[position + 1 :]
        elif action == "ins":
            text = text[:position] + char + text[position:]
        else:
            text = text[:position] + char + text[position + 1 :]
    try:
        interchange = read_837p(text.encode("utf-8"))
    except X12Error as error:
        assert error.reason
        assert error.segment_number is None or str(error).startswith(f"segment {error.segment_number}")
    else:
        assert isinstance(interchange, Interchange837)  # e.g. a changed name or amount digit still reads


def test_a_second_functional_group_is_refused():
    text = written()
    body = text[text.index("GS*") : text.index("IEA*")]
    second = body.replace("*42*X*", "*43*X*").replace("GE*1*42", "GE*1*43")
    text = text.replace("IEA*1*", "IEA*2*").replace(body, body + second)
    error = read_error(text)
    assert (error.segment_number, error.segment_id) == (body.count("~") + 2, "GS")
    assert "second functional group" in str(error)


def test_st03_may_be_left_to_gs08():
    text = written().replace("ST*837*0042*005010X222A1~", "ST*837*0042~")
    assert read_837p(text.encode()).transactions[0].version == "005010X222A1"
