"""837P export (issue 12): every box in its place, pyx12's verdict on the file, control numbers taken once and
never again, claims moved to sent with their trail, and what is refused."""

from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal

import pytest

from audit.models import AuditEvent
from claims.choices import ClaimStatus, QueueReason
from claims.models import ClaimStatusChange
from edi.claims837 import read_837p
from edi.models import Interchange, InterchangeClaim
from edi.services import ExportError, ExportRefused, interchange_export

from .conftest import pyx12_findings
from .export_helpers import (
    BILLING_NPI,
    FACILITY_NPI,
    REFERRING_NPI,
    RENDERING_NPI,
    accident_replacement_claim,
    make_clearinghouse,
    ordered_drug_claim,
    ready,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def clearinghouse():
    return make_clearinghouse()


@pytest.fixture
def exported(supervisor, biller, clearinghouse):
    """Both full claims exported together: the interchange, the claims, and the file read back."""
    accident, drug = accident_replacement_claim(biller), ordered_drug_claim(biller)
    interchange = interchange_export(claims=[accident, drug], clearinghouse=clearinghouse, user=supervisor)
    records = {record.claim_id: record for record in read_837p(interchange.content.encode()).claims}
    return interchange, accident, drug, records


def test_pyx12_accepts_the_export_of_claims_exercising_every_box(exported):
    interchange, *_ = exported
    valid, findings = pyx12_findings(interchange.content)
    assert findings == []
    assert valid is True


def test_the_file_is_stored_with_its_name_size_and_sha256(exported):
    interchange, accident, drug, _ = exported
    data = interchange.content.encode("ascii")
    assert interchange.sha256 == hashlib.sha256(data).hexdigest()
    assert interchange.size == len(data)
    assert interchange.file_name == "837P-example-clearinghouse-000000001.txt"
    assert interchange.claim_count == 2 and interchange.usage == "T"
    assert "Rivera" not in interchange.file_name
    sent = {row.claim_id: row for row in InterchangeClaim.objects.filter(interchange=interchange)}
    assert sent[accident.pk].patient_control_number == "PCN-2026-0001"
    assert sent[accident.pk].frequency_code == "7"
    assert sent[drug.pk].patient_control_number == drug.number and sent[drug.pk].frequency_code == "1"
    assert list(accident.sent_in.values_list("interchange", flat=True)) == [interchange.pk]


def test_the_envelope_carries_the_clearinghouses_settings_and_control_numbers(exported):
    interchange, *_ = exported
    document = read_837p(interchange.content.encode())
    transaction = document.transactions[0]
    assert (document.sender_id, document.receiver_id, document.usage) == ("NFM001", "ECH999", "T")
    assert (document.control_number, document.group_control_number) == (1, 1)
    assert (interchange.control_number, interchange.group_control_number) == (1, 1)
    assert transaction.submitter.identifier == "NFM001" and transaction.submitter.contacts[0].number("TE")
    assert (transaction.receiver.name, transaction.receiver.identifier) == ("Example Clearinghouse", "ECH999")


def test_patient_insured_and_payers_land_in_their_loops(exported):
    _, _, _, records = exported
    claim = records["PCN-2026-0001"]
    subscriber = claim.subscriber
    assert subscriber.coverage.relationship == ""  # not self: the relationship is the patient's PAT01
    assert claim.patient.relationship == "19"
    assert (claim.patient.person.last_name, claim.patient.person.first_name) == ("Rivera", "Sofia")
    assert claim.patient.person.birth_date == date(2012, 6, 15) and claim.patient.person.address.postal_code == "12208"
    insured = subscriber.insured
    assert (insured.last_name, insured.first_name, insured.identifier) == ("Rivera", "Ana", "XJH123456789")
    assert (insured.birth_date, insured.sex, insured.address.line1) == (date(1980, 4, 2), "F", "12 Elm St")
    assert insured.reference("Y4") == "PC-4455"  # box 11b
    assert (subscriber.coverage.group_number, subscriber.coverage.claim_filing_indicator) == ("GRP-7788", "CI")
    assert subscriber.coverage.group_name == ""  # SBR04 only without SBR03 (005010X222A1)
    assert (subscriber.payer.name, subscriber.payer.identifier) == ("Empire Health Plan", "EHP01")
    other = claim.other_coverage[0]
    assert (other.coverage.payer_responsibility, other.coverage.group_number) == ("S", "G-551")
    assert (other.insured.last_name, other.insured.first_name, other.insured.identifier) == ("Rivera", "Luis",
                                                                                               "W99887766")
    assert (other.payer.name, other.payer.identifier) == ("Mutual Auto Insurance", "MAI77")
    self_claim = records[next(key for key in records if key.startswith("CLM-"))]
    assert self_claim.patient is None and self_claim.subscriber.coverage.relationship == "18"
    assert self_claim.subscriber.coverage.claim_filing_indicator == "MB"
    assert self_claim.subscriber.coverage.group_name == "Medicare"  # box 11c without a group number
    assert self_claim.subscriber.insured.address.city == "Troy"


def test_claim_boxes_land_in_the_2300_loop(exported):
    _, _, drug, records = exported
    claim = records["PCN-2026-0001"]
    assert (claim.total_charge, claim.place_of_service, claim.frequency_code) == (Decimal("330.5"), "11", "7")
    assert claim.original_reference == "EHP-ICN-99887766" and claim.prior_authorization == "AUTH-5521"
    assert (claim.related_causes, claim.accident_state) == (["AA"], "NJ")
    assert claim.date("431").start == date(2026, 3, 1) and claim.date("439").start == date(2026, 3, 1)
    assert [(n.code, n.text) for n in claim.notes] == [("ADD", "Corrected units line 2")]  # ':' is a separator
    assert [(d.qualifier, d.code) for d in claim.diagnoses] == [("ABK", "S134XXA"), ("ABF", "V4352XA"),
                                                                ("ABF", "R519")]
    billing = claim.billing_provider
    assert (billing.name, billing.npi, billing.tax_id, billing.phone) == (
        "Northside Family Medicine", BILLING_NPI, "311234567", "5185550100")
    assert (billing.address.line2, billing.address.postal_code) == ("Suite 2", "122070001")
    referring, rendering, facility = claim.referring_provider, claim.rendering_provider, claim.service_facility
    assert (referring.last_name, referring.first_name, referring.npi) == ("Okafor", "James", REFERRING_NPI)
    assert (rendering.last_name, rendering.first_name, rendering.npi) == ("Patel", "Nina", RENDERING_NPI)
    assert (facility.name, facility.npi, facility.address.line1) == ("Northside Urgent Care", FACILITY_NPI,
                                                                     "200 State St")
    other = records[drug.number]
    assert other.related_causes == ["EM"] and other.accident_state == "" and other.date("439") is None
    assert other.referring_provider is None and other.rendering_provider is None  # DK goes on the lines
    assert other.frequency_code == "1" and other.original_reference == ""


def test_service_lines_carry_codes_pointers_dates_notes_and_drugs(exported):
    _, _, _, records = exported
    lines = records["PCN-2026-0001"].lines
    assert [(line.procedure_code, line.modifiers, line.units, line.charge) for line in lines] == [
        ("99214", ["25"], Decimal("1"), Decimal("180")),
        ("97140", ["GP", "59"], Decimal("3"), Decimal("90")),
        ("J1885", [], Decimal("2"), Decimal("60.5")),
    ]
    assert [line.diagnosis_pointers for line in lines] == [[1, 2, 3], [1], [1]]
    assert [line.service_date.start for line in lines] == [date(2026, 3, 2), date(2026, 3, 3), date(2026, 3, 2)]
    assert [line.place_of_service for line in lines] == ["", "22", ""]  # only where it differs from the claim's
    assert [(n.code, n.text) for n in lines[1].notes] == [("ADD", "Three 15-min units")]
    drug = lines[2].drug
    assert (drug.ndc, drug.quantity, drug.unit, drug.product_qualifier) == ("00409379301", Decimal("2.5"), "ML", "N4")
    assert lines[0].drug is None
    ordered = [line for record in records.values() if record.claim_id.startswith("CLM-") for line in record.lines]
    assert all([(p.entity_code, p.npi) for p in line.providers] == [("DK", REFERRING_NPI)] for line in ordered)


# ---- control numbers ----------------------------------------------------------------------------------
def test_control_numbers_rise_by_one_per_export_and_are_stored(supervisor, biller, clearinghouse):
    first = interchange_export(claims=[ready(biller)], clearinghouse=clearinghouse, user=supervisor)
    second = interchange_export(claims=[ready(biller)], clearinghouse=clearinghouse, user=supervisor)
    clearinghouse.refresh_from_db()
    assert [(i.control_number, i.group_control_number) for i in (first, second)] == [(1, 1), (2, 2)]
    assert (clearinghouse.last_interchange_control_number, clearinghouse.last_group_control_number) == (2, 2)
    assert read_837p(second.content.encode()).control_number == 2
    assert first.file_name != second.file_name


def test_numbers_continue_from_the_stored_ones(supervisor, biller):
    house = make_clearinghouse(last_interchange_control_number=41, last_group_control_number=7)
    interchange = interchange_export(claims=[ready(biller)], clearinghouse=house, user=supervisor)
    assert (interchange.control_number, interchange.group_control_number) == (42, 8)
    assert "ISA*00*" in interchange.content and "*000000042*" in interchange.content


def test_a_refused_export_uses_no_control_number_and_changes_nothing(supervisor, biller, clearinghouse):
    good, draft = ready(biller), ready(biller, status=ClaimStatus.DRAFT)
    with pytest.raises(ExportRefused) as refused:
        interchange_export(claims=[good, draft], clearinghouse=clearinghouse, user=supervisor)
    assert draft.number in str(refused.value) and good.number not in refused.value.problems
    clearinghouse.refresh_from_db()
    assert clearinghouse.last_interchange_control_number == 0 and not Interchange.objects.exists()
    good.refresh_from_db()
    assert good.status == ClaimStatus.READY and not AuditEvent.objects.filter(action="claim.sent").exists()
    assert interchange_export(claims=[good], clearinghouse=clearinghouse, user=supervisor).control_number == 1


def test_two_clearinghouses_count_their_own_numbers(supervisor, biller, clearinghouse):
    other = make_clearinghouse("Second House", sender_id="NFM002")
    interchange_export(claims=[ready(biller)], clearinghouse=clearinghouse, user=supervisor)
    assert interchange_export(claims=[ready(biller)], clearinghouse=other, user=supervisor).control_number == 1


def test_the_database_refuses_a_control_number_used_twice(supervisor, biller, clearinghouse):
    from django.db import IntegrityError, transaction

    first = interchange_export(claims=[ready(biller)], clearinghouse=clearinghouse, user=supervisor)
    with pytest.raises(IntegrityError), transaction.atomic():
        Interchange.objects.create(clearinghouse=clearinghouse, control_number=first.control_number,
                                   group_control_number=99, file_name="x", sha256="0" * 64, size=1, content="x",
                                   usage="T", claim_count=0, created_by=supervisor)


# ---- what is refused -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "fields",
    [
        {"status": ClaimStatus.DRAFT},
        {"status": ClaimStatus.CHECKED},
        {"status": ClaimStatus.FLAGGED, "queue_reason": QueueReason.FLAGGED},
        {"status": ClaimStatus.READY, "queue_reason": QueueReason.RANDOM_SAMPLE},
        {"status": ClaimStatus.REVIEWED, "review_outcome": "returned"},
        {"status": ClaimStatus.SENT},
        {"status": ClaimStatus.VOIDED},
    ],
    ids=["draft", "checked", "flagged", "ready-in-review", "returned", "sent", "voided"],
)
def test_claims_not_ready_or_approved_are_refused_by_number(supervisor, biller, clearinghouse, fields):
    claim = ready(biller, **fields)
    with pytest.raises(ExportRefused, match=f"{claim.number}: it is .*not ready or approved"):
        interchange_export(claims=[claim], clearinghouse=clearinghouse, user=supervisor)


def test_what_the_837p_cannot_carry_is_refused_with_the_reason(supervisor, biller, clearinghouse):
    from claims.models import Payer

    no_id = ready(biller, payer=Payer.objects.create(name="Paper Only Plan", payer_type="commercial"))
    no_address = ready(biller, billing_address_line1="")
    stranger = ready(biller, rendering_npi=REFERRING_NPI)
    separator = ready(biller, prior_auth_number="A*1")
    homeless = ready(biller, patient_city="")
    dependent = ready(biller, patient_relationship="01")
    short_zip = ready(biller, billing_zip_code="12207", facility_name="Clinic", facility_address_line1="1 Elm St",
                      facility_city="Albany", facility_state="NY", facility_zip_code="12207")
    with pytest.raises(ExportRefused) as refused:
        interchange_export(claims=[no_id, no_address, stranger, separator, homeless, dependent, short_zip],
                           clearinghouse=clearinghouse, user=supervisor)
    problems = refused.value.problems
    assert problems[short_zip.number] == [
        "billing provider ZIP code (33) needs all nine digits (ZIP+4) in an 837P",
        "service facility ZIP code (32) needs all nine digits (ZIP+4) in an 837P",
    ]
    assert problems[homeless.number] == ["patient's address (5) incomplete"]
    assert problems[dependent.number] == ["insured's name (4) missing: the patient is not the insured (6)"]
    assert problems[no_id.number] == ["payer Paper Only Plan has no electronic payer ID (admin: payers)"]
    assert problems[no_address.number] == ["billing provider name and address (33) incomplete"]
    assert "is not one of the practice's providers" in problems[stranger.number][0]
    assert "prior authorisation (23) holds one of" in problems[separator.number][0]


def test_an_inactive_clearinghouse_and_an_empty_selection_are_refused(supervisor, biller, clearinghouse):
    with pytest.raises(ExportError, match="No claims selected"):
        interchange_export(claims=[], clearinghouse=clearinghouse, user=supervisor)
    clearinghouse.active = False
    clearinghouse.save()
    with pytest.raises(ExportError, match="not active"):
        interchange_export(claims=[ready(biller)], clearinghouse=clearinghouse, user=supervisor)
    clearinghouse.refresh_from_db()
    assert clearinghouse.last_interchange_control_number == 0


# ---- sent, with the trail ------------------------------------------------------------------------------
def test_exported_claims_are_sent_with_a_status_change_naming_the_file(exported, supervisor):
    interchange, accident, drug, _ = exported
    for claim, from_status in ((accident, ClaimStatus.REVIEWED), (drug, ClaimStatus.READY)):
        claim.refresh_from_db()
        assert claim.status == ClaimStatus.SENT and not claim.is_editable and not claim.is_exportable
        change = ClaimStatusChange.objects.filter(claim=claim).latest("id")
        assert (change.from_status, change.to_status, change.user) == (from_status, ClaimStatus.SENT, supervisor)
        for part in (interchange.file_name, interchange.sha256, "ISA13 000000001", "GS06 1", "Example Clearinghouse"):
            assert part in change.note


def test_the_trail_has_an_event_per_claim_and_one_for_the_interchange(exported, supervisor):
    interchange, accident, drug, _ = exported
    sent = AuditEvent.objects.filter(action="claim.sent").order_by("claim_id")
    assert [event.claim_id for event in sent] == sorted([accident.pk, drug.pk])
    for event in sent:
        assert event.actor == supervisor
        assert event.data["file_name"] == interchange.file_name and event.data["sha256"] == interchange.sha256
        assert (event.data["interchange_control_number"], event.data["group_control_number"]) == (1, 1)
    exported_event = AuditEvent.objects.get(action="interchange.exported")
    assert exported_event.object_id == str(interchange.pk)
    assert exported_event.data["claims"] == [accident.number, drug.number]
    assert "Rivera" not in str(exported_event.data) and "Rivera" not in exported_event.summary


def test_a_sent_claim_is_not_exported_twice(exported, supervisor, clearinghouse):
    _, accident, _, _ = exported
    with pytest.raises(ExportRefused, match=accident.number):
        interchange_export(claims=[accident], clearinghouse=clearinghouse, user=supervisor)


def test_an_original_claim_has_frequency_1_and_no_original_reference(supervisor, biller, clearinghouse):
    claim = ready(biller, original_reference="LEFT-OVER")  # box 22's reference only goes with 7 or 8
    interchange = interchange_export(claims=[claim], clearinghouse=clearinghouse, user=supervisor)
    record = read_837p(interchange.content.encode()).claims[0]
    assert record.frequency_code == "1" and record.original_reference == ""
    assert "REF*F8" not in interchange.content


def test_a_refusal_groups_the_claims_by_problem(supervisor, biller, clearinghouse):
    from claims.models import Payer

    paper = Payer.objects.create(name="Paper Plan", payer_type="commercial")
    claims = [ready(biller, payer=paper) for _ in range(12)]
    with pytest.raises(ExportRefused) as refused:
        interchange_export(claims=claims, clearinghouse=clearinghouse, user=supervisor)
    first_ten = ", ".join(claim.number for claim in claims[:10])
    assert str(refused.value) == (
        f"Nothing was exported. {first_ten} and 2 more: payer Paper Plan has no electronic payer ID (admin: payers)."
    )
    assert len(refused.value.problems) == 12


def test_a_void_goes_out_with_frequency_8_and_the_original_reference(supervisor, biller, clearinghouse):
    claim = ready(biller, frequency_code="8", original_reference="ICN-1234")
    interchange = interchange_export(claims=[claim], clearinghouse=clearinghouse, user=supervisor)
    record = read_837p(interchange.content.encode()).claims[0]
    assert (record.frequency_code, record.original_reference) == ("8", "ICN-1234")
    assert pyx12_findings(interchange.content) == (True, [])


def test_an_ndc_without_its_unit_and_quantity_is_refused(supervisor, biller, clearinghouse):
    from tests.claims.factories import make_line

    claim = ready(biller, lines=[make_line("J3301", ndc="00003029305")])
    with pytest.raises(ExportRefused, match="line 1: an NDC needs its unit and quantity"):
        interchange_export(claims=[claim], clearinghouse=clearinghouse, user=supervisor)


@pytest.mark.parametrize(
    ("name", "expected"),
    [("Dr. Nina Patel, MD", ("Patel", "Nina")), ("Patel, Nina", ("Patel", "Nina")),
     ("Nina Q Patel", ("Patel", "Nina Q")), ("Patel", ("Patel", "")), ("Dr Ana Lopez, MD, PhD", ("Lopez", "Ana"))],
)
def test_provider_names_are_split_into_last_and_first(name, expected):
    from edi.outgoing import person_name

    assert person_name(name) == expected


def test_a_clinician_billing_under_their_own_npi_is_a_person(supervisor, biller, clearinghouse):
    from .export_helpers import make_providers

    make_providers()
    claim = ready(biller, billing_npi=RENDERING_NPI, rendering_npi=RENDERING_NPI, billing_name="Dr. Nina Patel, MD")
    interchange = interchange_export(claims=[claim], clearinghouse=clearinghouse, user=supervisor)
    billing = read_837p(interchange.content.encode()).claims[0].billing_provider
    assert (billing.is_person, billing.last_name, billing.first_name, billing.npi) == (True, "Patel", "Nina",
                                                                                    RENDERING_NPI)
    assert read_837p(interchange.content.encode()).claims[0].rendering_provider is None  # same NPI: no 2310B
    assert pyx12_findings(interchange.content) == (True, [])


def test_names_with_accents_go_out_in_ascii_and_pyx12_accepts_them(supervisor, biller, clearinghouse):
    """An 837P carries ASCII only: Peña, José, Groß, São Paulo and typographic quotes are written plainly (before,
    such a name stopped the export with an encoding error)."""
    claim = accident_replacement_claim(biller)
    claim.patient_last_name, claim.patient_first_name = "Peña-Müller", "José"
    claim.insured_last_name = "Groß"
    claim.facility_name = "Clínica São Paulo"
    claim.additional_info = "Naïve – “quoted”"
    claim.save()
    interchange = interchange_export(claims=[claim], clearinghouse=clearinghouse, user=supervisor)
    assert interchange.content.isascii()
    record = read_837p(interchange.content.encode()).claims[0]
    assert (record.patient.person.last_name, record.patient.person.first_name) == ("Pena-Muller", "Jose")
    assert record.subscriber.insured.last_name == "Gross"
    assert record.service_facility.last_name == "Clinica Sao Paulo"
    assert [note.text for note in record.notes] == ['Naive - "quoted"']
    valid, findings = pyx12_findings(interchange.content)
    assert findings == [] and valid is True


def test_an_id_with_a_character_the_837p_cannot_carry_is_refused(supervisor, biller, clearinghouse):
    claim = ready(biller, prior_auth_number="AUTH-Ñ1")
    with pytest.raises(ExportRefused) as refused:
        interchange_export(claims=[claim], clearinghouse=clearinghouse, user=supervisor)
    assert refused.value.problems[claim.number] == [
        "prior authorisation (23) holds an accented letter or symbol an 837P cannot carry: correct it on the claim"
    ]
