"""837P import services: every shared sample with its CLM and LX counts, every box of a claim, payers, providers and
patients found or added, the same file twice, malformed files, and values a claim cannot hold."""

from __future__ import annotations

import copy
from datetime import date
from decimal import Decimal

import pytest

from audit.models import AuditEvent
from claims.choices import ClaimStatus, PayerType, ProviderKind
from claims.models import Claim, Patient, Payer, Provider
from edi.imports import AlreadyImported, ImportRefused, file_import
from edi.models import ImportedClaim, ImportedFile
from edi.records import Address
from edi.write837 import render_837p
from tests.claims.factories import make_patient

from .builders import full_interchange
from .conftest import SAMPLE_NAMES, sample_path, sample_text
from .test_claims837 import count_segments

pytestmark = pytest.mark.django_db


def builder_bytes(interchange=None) -> bytes:
    return render_837p(interchange or full_interchange()).encode()


def imported_claim(imported: ImportedFile, position: int) -> Claim:
    return ImportedClaim.objects.select_related("claim").get(imported_file=imported, position=position).claim


def nothing_imported() -> None:
    assert not ImportedFile.objects.exists()
    assert not Claim.objects.exists()
    assert not Patient.objects.exists()
    assert not Payer.objects.exists()
    assert not Provider.objects.exists()


def warnings_of(imported: ImportedFile) -> list[str]:
    return [w for row in imported.imported_claims.values_list("warnings", flat=True) for w in row]


# --- the shared samples ------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", SAMPLE_NAMES)
@pytest.mark.shared_data
def test_every_sample_imports_with_its_clm_and_lx_counts(name, supervisor):
    raw = sample_path(name).read_bytes()
    text = sample_text(name)
    imported = file_import(raw=raw, file_name=name, user=supervisor)
    claims = Claim.objects.filter(import_source__imported_file=imported)
    assert claims.count() == count_segments(text, "CLM") == imported.claim_count
    assert sum(claim.lines.count() for claim in claims) == count_segments(text, "LX") == imported.line_count
    assert set(claims.values_list("status", flat=True)) == {ClaimStatus.CHECKED}  # every claim checked
    assert all(claim.checked_at and claim.risk for claim in claims)
    assert list(imported.imported_claims.values_list("position", flat=True)) == list(range(1, claims.count() + 1))


@pytest.mark.shared_data
def test_dependent_patient_office_visit(supervisor):
    imported = file_import(raw=sample_path("demo.837").read_bytes(), file_name="demo.837", user=supervisor)
    claim = imported_claim(imported, 1)
    assert (claim.patient_last_name, claim.patient_first_name, claim.patient_dob, claim.patient_sex) == (
        "SMITH", "TED", date(1973, 5, 1), "M")
    assert (claim.patient_address_line1, claim.patient_city, claim.patient_state, claim.patient_zip_code) == (
        "236 N MAIN ST", "MIAMI", "FL", "33413")
    assert claim.patient_relationship == "19"
    assert (claim.insured_last_name, claim.insured_first_name, claim.member_id) == ("SMITH", "JANE", "JS00111223333")
    assert claim.insured_group_number == "2222-SJ" and claim.insured_dob is None
    assert (claim.payer.name, claim.payer.payer_type, claim.payer.payer_id) == (
        "KEY INSURANCE COMPANY", PayerType.COMMERCIAL, "999996666")
    assert (claim.billing_npi, claim.rendering_npi, claim.group_tin) == ("1912301953", "1912301953", "587654321")
    assert (claim.billing_name, claim.billing_address_line1, claim.billing_city, claim.billing_zip_code) == (
        "BEN KILDARE SERVICE", "234 SEAWAY ST", "MIAMI", "331110000")
    assert claim.diagnoses == ["034.0", "V73.89"]  # stored with the dot, as the entry page keeps them
    assert (claim.patient_account_number, claim.place_of_service, claim.date_of_service) == (
        "26463774", "11", date(2006, 10, 3))
    assert claim.frequency_code == "1" and not claim.has_other_plan
    lines = list(claim.lines.order_by("number"))
    assert [(line.code, line.units, line.charge, line.dx_pointers, line.date_of_service) for line in lines] == [
        ("99213", Decimal("1"), Decimal("40"), "A", None),  # the claim's date: the line's own is left blank
        ("87070", Decimal("1"), Decimal("15"), "A", None),
        ("99214", Decimal("1"), Decimal("35"), "B", date(2006, 10, 10)),
        ("86663", Decimal("1"), Decimal("10"), "B", date(2006, 10, 10)),
    ]
    patient = claim.patient  # filed under a new record with the dependent's own date of birth
    assert (patient.member_id, patient.date_of_birth, patient.first_name, patient.city) == (
        "JS00111223333", date(1973, 5, 1), "TED", "MIAMI")
    provider = Provider.objects.get(npi="1912301953")
    assert (provider.kind, provider.group_tin, provider.city, provider.state) == (
        ProviderKind.ORGANISATION, "587654321", "MIAMI", "FL")
    assert imported.created_records["payers"] == [[claim.payer.pk, "KEY INSURANCE COMPANY", "commercial", "999996666"]]
    assert imported.created_records["providers"] == [[provider.pk, "BEN KILDARE SERVICE", "1912301953"]]
    # REF*D9 (clearinghouse trace number) has no box: said, not dropped silently
    assert any("REF*D9 '17312345600006351' was not kept" in w for w in warnings_of(imported))


@pytest.mark.shared_data
def test_auto_accident_with_state_facility_and_rendering_provider(supervisor):
    raw = sample_path("demo.autoaccident.837").read_bytes()
    imported = file_import(raw=raw, file_name="accident.837", user=supervisor)
    claim = imported_claim(imported, 1)
    assert (claim.auto_accident, claim.auto_accident_state, claim.employment_related, claim.other_accident) == (
        True, "CA", False, False)
    assert claim.other_claim_id == "32323232"  # REF*Y4 of 2010CA
    assert claim.patient_phone == "8157665902"
    assert claim.patient_relationship == "G8"  # PAT01 21 (unknown) has no choice of its own
    assert claim.rendering_npi == "2366552595"
    assert (claim.facility_name, claim.facility_address_line1, claim.facility_city, claim.facility_zip_code) == (
        "ASSOCIATED MEDICAL GROUP", "101 EAST PRYOR STREET", "LOMA LINDA", "99622")
    assert claim.facility_npi == ""  # 1235767887 fails the NPI check digit: left out, and said
    warnings = warnings_of(imported)
    assert any("service facility NPI (2310C NM109) '1235767887' was not kept" in w for w in warnings)
    assert any("relationship to the insured '21' (PAT01) was kept as G8" in w for w in warnings)
    assert any("DTP*439 10/31/2005 was not kept" in w for w in warnings)
    assert claim.diagnoses == ["854.0"] and claim.payer.payer_type == PayerType.COMMERCIAL
    # neither NPI passes its check digit: no provider record, the reason on the import's results
    assert not Provider.objects.exists()
    assert len(imported.created_records["warnings"]) == 2


@pytest.mark.shared_data
def test_coordination_of_benefits_sets_the_other_plan_and_adds_the_secondary_payer(supervisor):
    raw = sample_path("demo.cob.example4.837").read_bytes()
    imported = file_import(raw=raw, file_name="cob.837", user=supervisor)
    claim = imported_claim(imported, 1)
    assert (claim.payer.name, claim.payer.payer_type) == ("MEDICARE", PayerType.MEDICARE)  # SBR09 MB
    assert claim.has_other_plan
    assert (claim.other_insured_last_name, claim.other_insured_first_name, claim.other_insured_member_id) == (
        "MEDYUM", "CAROL", "COM188-404777")
    assert claim.other_insured_plan_name == "COMMERCE"
    assert (claim.secondary_payer.name, claim.secondary_payer.payer_id, claim.secondary_payer.payer_type) == (
        "COMMERCE", "59999", PayerType.COMMERCIAL)
    assert (claim.referring_qualifier, claim.referring_last_name, claim.referring_first_name) == ("DN", "BRYHT", "LEE")
    assert claim.rendering_npi == "9090909090" and claim.patient_relationship == "18"
    assert (claim.insured_last_name, claim.insured_dob) == ("MEDYUM", date(1956, 1, 10))  # self: the patient's
    line = claim.lines.get()
    assert (line.code, line.modifiers, line.dx_pointers) == ("99203", ["25"], "AB")
    assert any("2320 AMT D 80.00, F2 15.00" in w for w in warnings_of(imported))
    assert {row[1] for row in imported.created_records["payers"]} == {"MEDICARE", "COMMERCE"}


@pytest.mark.shared_data
def test_drug_line_keeps_its_ndc_unit_and_quantity(supervisor):
    raw = sample_path("demo.drug.example10.1.837").read_bytes()
    imported = file_import(raw=raw, file_name="drug.837", user=supervisor)
    claim = imported_claim(imported, 1)
    drug = claim.lines.get(number=2)
    assert (drug.code, drug.ndc, drug.ndc_unit, drug.ndc_quantity) == ("J1550", "00026063512", "ML", Decimal("10"))
    assert claim.lines.get(number=1).ndc == ""
    assert claim.rendering_npi == "1122333341"
    kinds = dict(Provider.objects.values_list("npi", "kind"))
    assert kinds == {"1234567893": ProviderKind.ORGANISATION, "1122333341": ProviderKind.CLINICIAN}
    assert Provider.objects.get(npi="1122333341").group_tin == "587654321"  # the billing provider's tax ID


# --- every box, from a file built in the tests (no shared data needed) ----------------------------------
def test_every_box_of_a_replacement_claim_after_an_accident(supervisor):
    imported = file_import(raw=builder_bytes(), file_name="built.837", user=supervisor, today=date(2026, 3, 20))
    assert (imported.claim_count, imported.line_count, imported.sender_id, imported.version) == (
        3, 7, "NFM001", "005010X222A1")
    claim = imported_claim(imported, 1)
    assert (claim.frequency_code, claim.original_reference, claim.prior_auth_number) == (
        "7", "EHP-ICN-99887766", "AUTH-5521")
    assert claim.additional_info == "CORRECTED UNITS ON LINE 2"
    assert (claim.current_illness_date, claim.current_illness_qualifier) == (date(2026, 3, 1), "431")
    assert (claim.referring_qualifier, claim.referring_last_name, claim.referring_npi) == ("DN", "OKAFOR", "1245319599")
    assert (claim.facility_name, claim.facility_npi, claim.facility_state) == (
        "NORTHSIDE URGENT CARE", "1376609297", "NY")
    assert claim.rendering_npi == "1679576722"
    assert claim.billing_phone == "5185550100" and claim.billing_address_line2 == "SUITE 2"
    assert claim.diagnoses == ["S13.4XXA", "V43.52XA", "R51"]
    assert (claim.patient_first_name, claim.patient_relationship, claim.insured_first_name) == ("SOFIA", "19", "ANA")
    assert (claim.insured_dob, claim.insured_sex, claim.insured_plan_name) == (
        date(1980, 4, 2), "F", "ACME EMPLOYEES PLAN")
    assert claim.secondary_payer.name == "MUTUAL AUTO INSURANCE" and claim.other_insured_group_number == "G-551"
    lines = list(claim.lines.order_by("number"))
    assert [line.modifiers for line in lines] == [["25"], ["GP", "59"], []]
    assert [line.dx_pointers for line in lines] == ["ABC", "A", "A"]
    assert lines[1].narrative == "THREE 15-MIN UNITS" and lines[1].units == Decimal("3")
    assert (lines[2].ndc, lines[2].ndc_unit, lines[2].ndc_quantity) == ("00409379301", "ML", Decimal("2"))
    drug = imported_claim(imported, 2)
    assert (drug.patient_relationship, drug.employment_related, drug.payer.payer_type) == (
        "18", True, PayerType.MEDICARE)
    assert (drug.insured_last_name, drug.insured_dob) == (drug.patient_last_name, drug.patient_dob)
    assert (drug.referring_qualifier, drug.referring_npi) == ("DN", "1245319599")
    assert claim.checked_at is not None and claim.status == ClaimStatus.CHECKED
    assert claim.created_by == supervisor
    event = AuditEvent.objects.get(action="edi.file_imported")
    assert event.object_id == str(imported.pk) and event.data["claims"] == 3
    assert "RIVERA" not in event.summary and "RIVERA" not in str(event.data)  # no patient data on the event


def test_ordering_provider_of_the_lines_fills_box_17_when_there_is_no_referring_one(supervisor):
    from edi.records import Party

    interchange = full_interchange()
    claim = interchange.transactions[0].claims[1]
    claim.providers = []
    claim.lines[0].providers = [Party("DK", last_name="WU", first_name="MEI", is_person=True, id_qualifier="XX",
                                      identifier="1245319599")]
    imported = file_import(raw=builder_bytes(interchange), file_name="dk.837", user=supervisor)
    stored = imported_claim(imported, 2)
    assert (stored.referring_qualifier, stored.referring_last_name, stored.referring_npi) == ("DK", "WU", "1245319599")


# --- the same file twice, malformed files ------------------------------------------------------------------
def test_the_same_file_twice_imports_nothing_the_second_time(supervisor, biller):
    raw = builder_bytes()
    first = file_import(raw=raw, file_name="monday.837", user=supervisor)
    counts = (Claim.objects.count(), Patient.objects.count(), Payer.objects.count(), AuditEvent.objects.count())
    with pytest.raises(AlreadyImported) as refused:
        file_import(raw=raw, file_name="monday-again.837", user=biller)
    message = str(refused.value)
    assert message.startswith("monday-again.837 was not imported: the same file")
    assert "imported as monday.837 on" in message and "by supervisor (3 claims)" in message
    assert f"{first.imported_at.astimezone():%m/%d/%Y}" in message
    assert "RIVERA" not in message and "XJH123456789" not in message  # no patient data
    assert (Claim.objects.count(), Patient.objects.count(), Payer.objects.count(), AuditEvent.objects.count()) == counts
    assert ImportedFile.objects.count() == 1


def test_a_malformed_file_names_the_segment_and_imports_nothing(supervisor):
    text = builder_bytes().decode()
    segments = text.split("~")
    last_sv1 = max(index for index, segment in enumerate(segments) if segment.strip().startswith("SV1*"))
    parts = segments[last_sv1].split("*")
    parts[2] = "12X.00"  # the charge of the last claim's last line
    segments[last_sv1] = "*".join(parts)
    with pytest.raises(ImportRefused) as refused:
        file_import(raw="~".join(segments).encode(), file_name="bad.837", user=supervisor)
    assert str(refused.value) == (
        f"bad.837 was not imported: segment {last_sv1 + 1} (SV1): SV102 '12X.00' is not a number"
    )
    nothing_imported()  # the claims before the bad segment were not imported either


def test_a_file_that_is_not_x12_is_refused(supervisor):
    with pytest.raises(ImportRefused, match="^notes.txt was not imported: "):
        file_import(raw=b"Dear billing team, here are the claims.", file_name="notes.txt", user=supervisor)
    nothing_imported()


# --- values a claim cannot hold ----------------------------------------------------------------------------
def test_a_member_id_longer_than_the_claim_holds_refuses_the_file_naming_the_claim(supervisor):
    interchange = full_interchange()
    subscriber = copy.deepcopy(interchange.transactions[0].claims[2].subscriber)
    subscriber.insured.identifier = "M" * 31
    interchange.transactions[0].claims[2].subscriber = subscriber
    with pytest.raises(ImportRefused) as refused:
        file_import(raw=builder_bytes(interchange), file_name="long.837", user=supervisor)
    assert str(refused.value) == (
        "long.837 was not imported: claim 3 (CLM01 PCN-2026-0003): member ID (2010BA NM109) "
        f"'{'M' * 31}' has 31 characters, ClaimDesk holds 30; nothing was imported"
    )
    nothing_imported()


def test_a_procedure_code_that_is_not_five_characters_refuses_the_file(supervisor):
    interchange = full_interchange()
    interchange.transactions[0].claims[0].lines[1].procedure_code = "9714000"
    with pytest.raises(ImportRefused, match=r"claim 1 \(CLM01 PCN-2026-0001\): line 2 \(LX 2\) procedure code"):
        file_import(raw=builder_bytes(interchange), file_name="code.837", user=supervisor)
    nothing_imported()


def test_text_too_long_is_cut_and_values_a_box_refuses_are_left_out_each_with_a_warning(supervisor):
    interchange = full_interchange()
    claim = interchange.transactions[0].claims[1]
    long_street = "1 VERY LONG AVENUE OF THE AMERICAS BUILDING C FLOOR 12 SUITE 1200"
    assert len(long_street) == 65
    claim.subscriber = copy.deepcopy(claim.subscriber)
    claim.subscriber.insured.address = Address(long_street, "", "TROY", "ZZ", "1218")
    imported = file_import(raw=builder_bytes(interchange), file_name="fit.837", user=supervisor)
    stored = imported_claim(imported, 2)
    assert stored.patient_address_line1 == long_street[:55]
    assert (stored.patient_state, stored.patient_zip_code, stored.patient_city) == ("", "", "TROY")
    assert stored.patient.address_line1 == long_street[:55]  # the new patient record, as entered on the claim
    warnings = imported.imported_claims.get(position=2).warnings
    assert (
        f"claim 2 (CLM01 PCN-2026-0002): patient's address (N301) has 65 characters, the claim holds 55: "
        f"'{long_street}' was cut to '{long_street[:55]}'"
    ) in warnings
    assert any("patient's state (N402) 'ZZ' was not kept" in w for w in warnings)
    assert any("patient's ZIP code (N403) '1218' was not kept" in w for w in warnings)
    assert not any("insured's" in w for w in warnings)  # the patient is the insured: said once


# --- payers, providers and patients found or added -----------------------------------------------------------
def test_payers_are_found_by_payer_id_then_by_name_and_added_with_the_type_of_sbr09(supervisor):
    by_id = Payer.objects.create(name="Empire (our name)", payer_type=PayerType.COMMERCIAL, payer_id="EHP01")
    by_name = Payer.objects.create(name="Medicare Part B", payer_type=PayerType.MEDICARE)  # no payer ID kept
    imported = file_import(raw=builder_bytes(), file_name="payers.837", user=supervisor)
    assert imported_claim(imported, 1).payer == by_id
    assert imported_claim(imported, 2).payer == imported_claim(imported, 3).payer == by_name
    added = Payer.objects.get(name="MUTUAL AUTO INSURANCE")  # the other payer (2330B), SBR09 CI
    assert (added.payer_type, added.payer_id) == (PayerType.COMMERCIAL, "MAI77")
    assert imported.created_records["payers"] == [[added.pk, "MUTUAL AUTO INSURANCE", "commercial", "MAI77"]]
    assert AuditEvent.objects.filter(action="payer.created", object_id=str(added.pk)).exists()
    assert Payer.objects.count() == 3


@pytest.mark.parametrize(("indicator", "payer_type"), [("MB", "medicare"), ("MC", "medicaid"), ("HM", "commercial")])
def test_a_new_payer_takes_its_type_from_the_claim_filing_indicator(supervisor, indicator, payer_type):
    interchange = full_interchange()
    for claim in interchange.transactions[0].claims:
        claim.subscriber = copy.deepcopy(claim.subscriber)
        claim.subscriber.coverage.claim_filing_indicator = indicator
    file_import(raw=builder_bytes(interchange), file_name="type.837", user=supervisor)
    assert Payer.objects.get(payer_id="EHP01").payer_type == payer_type


def test_known_providers_are_kept_and_new_ones_added_once(supervisor):
    known = Provider.objects.create(name="Northside (ours)", kind=ProviderKind.ORGANISATION, npi="1234567893",
                                    group_tin="141234567", phone="5185550199")
    imported = file_import(raw=builder_bytes(), file_name="providers.837", user=supervisor)
    known.refresh_from_db()
    assert (known.name, known.phone) == ("Northside (ours)", "5185550199")  # never changed by an import
    assert list(Provider.objects.exclude(pk=known.pk).values_list("npi", "kind", "name")) == [
        ("1679576722", ProviderKind.CLINICIAN, "NINA PATEL")]
    assert [row[2] for row in imported.created_records["providers"]] == ["1679576722"]
    assert AuditEvent.objects.filter(action="provider.created").count() == 1


def test_a_known_patient_is_found_by_member_id_and_date_of_birth_and_left_as_it_is(supervisor):
    known = make_patient(member_id="1EG4TE5MK73", date_of_birth=date(1948, 11, 30), last_name="CHEN-OLD",
                         first_name="LI")
    imported = file_import(raw=builder_bytes(), file_name="patients.837", user=supervisor)
    second, third = imported_claim(imported, 2), imported_claim(imported, 3)
    assert second.patient == third.patient == known
    known.refresh_from_db()
    assert known.last_name == "CHEN-OLD" and second.patient_last_name == "CHEN"  # the claim keeps it as read
    flags = dict(imported.imported_claims.values_list("position", "new_patient"))
    assert flags == {1: True, 2: False, 3: False}
    assert Patient.objects.count() == 2


def test_a_patient_without_a_first_name_refuses_the_file(supervisor):
    interchange = full_interchange()
    claim = interchange.transactions[0].claims[0]
    claim.patient = copy.deepcopy(claim.patient)
    claim.patient.person.first_name = ""
    with pytest.raises(ImportRefused, match=r"claim 1 \(CLM01 PCN-2026-0001\): the patient's last or first name"):
        file_import(raw=builder_bytes(interchange), file_name="noname.837", user=supervisor)
    nothing_imported()


def test_a_patient_added_by_another_worker_at_the_same_moment_files_the_claim_under_that_record(
    supervisor, monkeypatch
):
    from edi import imports

    other_workers = make_patient(member_id="1EG4TE5MK73", date_of_birth=date(1948, 11, 30), first_name="LI")
    monkeypatch.setattr(imports, "_known_patients", lambda member_ids: set())  # not there yet when this import looked
    imported = file_import(raw=builder_bytes(), file_name="race.837", user=supervisor)
    assert imported_claim(imported, 2).patient == imported_claim(imported, 3).patient == other_workers
    assert dict(imported.imported_claims.values_list("position", "new_patient")) == {1: True, 2: False, 3: False}


def test_a_total_charge_that_is_not_the_lines_sum_is_said(supervisor):
    text = builder_bytes().decode().replace("CLM*PCN-2026-0002*145.25*", "CLM*PCN-2026-0002*150*", 1)
    imported = file_import(raw=text.encode(), file_name="total.837", user=supervisor)
    assert imported.imported_claims.get(position=2).warnings == [
        "claim 2 (CLM01 PCN-2026-0002): line 2 (LX 2): the drug's REF*XZ 'RX7788' (2410) was not kept",
        "claim 2 (CLM01 PCN-2026-0002): the total charge 150 (CLM02) is not the sum of the lines' charges 145.25: "
        "the claim's total (box 28) is the lines' sum",
    ]
    assert imported_claim(imported, 2).total_charge == Decimal("145.25")
    assert not any("CLM02" in warning for warning in imported.imported_claims.get(position=3).warnings)


@pytest.mark.parametrize(("pat01", "kept", "warned"), [("01", "01", False), ("19", "19", False), ("53", "G8", True)])
def test_the_patients_relationship_is_pat01_and_a_code_without_a_choice_is_other(supervisor, pat01, kept, warned):
    interchange = full_interchange()
    claim = interchange.transactions[0].claims[0]
    claim.patient = copy.deepcopy(claim.patient)
    claim.patient.relationship = pat01
    imported = file_import(raw=builder_bytes(interchange), file_name="rel.837", user=supervisor)
    assert imported_claim(imported, 1).patient_relationship == kept
    said = f"the patient's relationship to the insured '{pat01}' (PAT01) was kept as G8 (other)"
    assert any(said in warning for warning in warnings_of(imported)) is warned


def test_a_background_import_adds_its_new_patients_at_upload_and_flags_the_first_claim_of_each(supervisor):
    """The parts then only find the patients: no part holds a new patient's key that another part waits for."""
    from batches import services as batch_services
    from edi.imports import file_queue

    known = make_patient(member_id="1EG4TE5MK73", date_of_birth=date(1948, 11, 30), first_name="LI")
    batch = file_queue(raw=builder_bytes(), file_name="queued.837", user=supervisor, chunk_size=1)
    assert Patient.objects.count() == 2  # the new one added at upload, before any part ran
    for chunk in batch.chunks.order_by("number"):
        assert batch_services.chunk_run(chunk_id=chunk.pk) == batch_services.DONE
    imported = ImportedFile.objects.get(batch=batch)
    assert dict(imported.imported_claims.values_list("position", "new_patient")) == {1: True, 2: False, 3: False}
    assert imported_claim(imported, 2).patient == imported_claim(imported, 3).patient == known
    assert Patient.objects.count() == 2
