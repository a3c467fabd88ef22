"""The starter data set (codes/starter/) and load_starter_data."""

from __future__ import annotations

import csv
import importlib.util
import shutil
from datetime import date
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from codes.choices import CodeOrigin, CodeSystem, FacilityType, MUEServiceType, PTPSetting, Source
from codes.importers import starter
from codes.importers.base import ImportFileError
from codes.importers.starter import (
    STARTER_DIR,
    STARTER_IMPORTERS,
    StarterAddOnImporter,
    StarterCPTImporter,
    StarterHCPCSImporter,
    StarterModifierImporter,
    StarterMUEPractitionerImporter,
    StarterNDCImporter,
    StarterPlaceOfServiceImporter,
    StarterPTPImporter,
)
from codes.models import (
    AddOnEdit,
    ASPLimit,
    FeeScheduleIndicator,
    Modifier,
    MUELimit,
    NDCCrosswalk,
    PlaceOfService,
    ProcedureCode,
    PTPEdit,
    Release,
)
from codes.selectors import ReleaseTimeline, release_for
from tests.conftest import shared_file

pytestmark = pytest.mark.django_db

# The 44 NCCI PTP-associated modifiers (NCCI Policy Manual) and their groups.
ANATOMIC = (
    "E1", "E2", "E3", "E4", "FA", "F1", "F2", "F3", "F4", "F5", "F6", "F7", "F8", "F9",
    "TA", "T1", "T2", "T3", "T4", "T5", "T6", "T7", "T8", "T9", "LT", "RT", "LC", "LD", "RC", "LM", "RI",
)  # fmt: skip
NCCI_MODIFIERS = {
    **dict.fromkeys(ANATOMIC, "anatomic"),
    **dict.fromkeys(("24", "25", "57", "58", "78", "79"), "global_surgery"),
    **dict.fromkeys(("27", "59", "91", "XE", "XS", "XP", "XU"), "other"),
}
MODELS = (ProcedureCode, Modifier, PlaceOfService, FeeScheduleIndicator, PTPEdit, MUELimit, AddOnEdit, ASPLimit)


def csv_rows(name: str) -> list[dict[str, str]]:
    with (STARTER_DIR / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def load() -> list[str]:
    out = StringIO()
    call_command("load_starter_data", "--without-icd10cm", stdout=out)
    return out.getvalue().splitlines()


def table_counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in (*MODELS, NDCCrosswalk, Release)}


@pytest.fixture
def loaded() -> list[str]:
    return load()


# --- the files themselves ------------------------------------------------------------------------
def test_directory_stays_under_one_megabyte():
    size = sum(path.stat().st_size for path in STARTER_DIR.iterdir() if path.is_file())
    assert size < 1_000_000


def test_readme_names_the_cms_releases_and_our_labels():
    readme = (STARTER_DIR / "README.md").read_text(encoding="utf-8")
    for release in ("2026 January", "2026-04-01", "2026 Q2", "v30.1", "v32.2", "RVU25A", "ASP", "2024-06"):
        assert release in readme
    assert "own short plain-language label" in readme


def test_cpt_rows_in_the_file_carry_no_descriptor_and_have_our_label():
    rows = [r for r in csv_rows("procedure_codes.csv") if r["code"][0].isdigit()]
    assert len(rows) > 300
    for row in rows:
        assert row["short_description"] == row["long_description"] == "", row["code"]
        assert row["label"], row["code"]


def test_code_list_covers_the_code_families_of_the_brief():
    codes = {r["code"] for r in csv_rows("procedure_codes.csv")}
    expected = {
        *(f"{n}" for n in range(99202, 99206)),
        *(f"{n}" for n in range(99211, 99216)),
        *(f"{n}" for n in range(99381, 99388)),
        *(f"{n}" for n in range(99391, 99398)),
        *(f"{n}" for n in range(99242, 99246)),
        "99417",
        *(f"{n}" for n in range(96360, 96380) if n not in (96362, 96363, 96364, 96378)),
        "90460", "90471", "90472", "G0008", "G0009", "G0010", "90686",
        "80048", "80053", "85025", "83036", "81002", "87880", "71046", "73030",
        "10060", "11042", "17000", "20610", "12001", "17110", "17999", "64999", "99499",
        "3074F", "0591T",
        "J1100", "J3301", "J8499", "J3490", "J3590", "J9999", "E1399", "L8699", "S9083", "T1015", "C1713",
        "Q5101", "Q5103", "A0427", "A0425", "E0431", "K0001",
    }  # fmt: skip
    assert expected <= codes, sorted(expected - codes)


# --- loading ------------------------------------------------------------------------------------
def test_load_counts_match_the_csv_files(loaded):
    codes = csv_rows("procedure_codes.csv")
    cpt = [r for r in codes if r["code"][0].isdigit()]
    assert ProcedureCode.objects.filter(origin=CodeOrigin.STARTER, system=CodeSystem.CPT).count() == len(cpt)
    assert ProcedureCode.objects.filter(origin=CodeOrigin.STARTER, system=CodeSystem.HCPCS).count() == len(codes) - len(
        cpt
    )
    assert Modifier.objects.count() == len(csv_rows("modifiers.csv"))
    assert PlaceOfService.objects.count() == len(csv_rows("places_of_service.csv")) == 99
    assert FeeScheduleIndicator.objects.count() == len(csv_rows("fee_schedule.csv"))
    assert PTPEdit.objects.filter(setting=PTPSetting.PRACTITIONER).count() == len(csv_rows("ptp_practitioner.csv"))
    for service_type, name in (
        (MUEServiceType.PRACTITIONER, "mue_practitioner.csv"),
        (MUEServiceType.OUTPATIENT_HOSPITAL, "mue_outpatient_hospital.csv"),
        (MUEServiceType.DME, "mue_dme.csv"),
    ):
        assert MUELimit.objects.filter(service_type=service_type).count() == len(csv_rows(name))
    assert AddOnEdit.objects.count() == len(csv_rows("addon_edits.csv"))
    assert ASPLimit.objects.count() == len(csv_rows("asp_limits.csv"))
    assert NDCCrosswalk.objects.count() == len(csv_rows("ndc_crosswalk.csv"))
    # One summary line per release, in the exact format, with the CSV's row count as total.
    assert len(loaded) == len(STARTER_IMPORTERS) == Release.objects.count()
    ptp_line = f"imported ptp_edits starter (v30.1 2024 Q2): added {PTPEdit.objects.count()}, changed 0, "
    assert f"{ptp_line}terminated 0, unchanged 0, total {PTPEdit.objects.count()}" in loaded
    assert (
        f"imported procedure_codes starter (2026): added {len(cpt)}, changed 0, terminated 0, unchanged 0, "
        f"total {len(cpt)}"
    ) in loaded


def test_releases_are_marked_starter_with_the_cms_effective_dates(loaded):
    releases = {r.source: r for r in Release.objects.all()}
    assert all(r.is_starter for r in releases.values())
    assert releases[Source.MUE_PRACTITIONER].effective_date == date(2026, 4, 1)
    assert releases[Source.AOC].effective_date == date(2026, 4, 1)
    assert releases[Source.HCPCS].effective_date == date(2026, 1, 1)
    assert releases[Source.ASP].effective_date == date(2026, 1, 1)
    assert releases[Source.PFS_RVU].effective_date == date(2025, 1, 1)
    assert releases[Source.PTP_PRACTITIONER].effective_date == date(2024, 4, 1)
    assert releases[Source.MUE_PRACTITIONER].label == "starter (2026 Q2 practitioner)"
    assert releases[Source.PTP_PRACTITIONER].sha256 and releases[Source.PTP_PRACTITIONER].file_name == (
        "ptp_practitioner.csv"
    )
    # The selector resolves them like real releases (the oldest covers earlier dates of service).
    assert release_for(Source.MUE_PRACTITIONER, date(2026, 5, 1)) == releases[Source.MUE_PRACTITIONER]
    assert release_for(Source.MUE_PRACTITIONER, date(2025, 5, 1)) == releases[Source.MUE_PRACTITIONER]
    assert release_for(Source.PTP_PRACTITIONER, date(2026, 5, 1)) == releases[Source.PTP_PRACTITIONER]


def test_second_run_changes_nothing(loaded):
    counts = table_counts()
    releases = list(Release.objects.order_by("id").values_list("id", "source", "label", "sha256", "total"))
    codes = list(ProcedureCode.objects.order_by("code").values_list("code", "label", "release_id", "origin"))
    again = load()
    assert table_counts() == counts
    assert list(Release.objects.order_by("id").values_list("id", "source", "label", "sha256", "total")) == releases
    assert list(ProcedureCode.objects.order_by("code").values_list("code", "label", "release_id", "origin")) == codes
    assert len(again) == len(loaded)
    for first, second in zip(loaded, again, strict=True):
        total = first.rsplit("total ", 1)[1]
        assert second.endswith(f"added 0, changed 0, terminated 0, unchanged {total}, total {total}")
        assert first.split(":")[0] == second.split(":")[0]
    # A third run reports the same summary as the second.
    assert load() == again


def test_cpt_codes_get_only_our_labels(loaded):
    cpt = ProcedureCode.objects.filter(system=CodeSystem.CPT, origin=CodeOrigin.STARTER)
    assert cpt.count() > 300
    assert not cpt.exclude(short_description="").exists()
    assert not cpt.exclude(long_description="").exists()
    assert not cpt.filter(label="").exists()
    office = ProcedureCode.objects.get(code="99213")
    assert office.label == "Office visit, established patient, low complexity"
    assert office.section == "Evaluation and Management"
    assert office.description == office.label
    assert ProcedureCode.objects.get(code="3074F").cpt_category == "II"
    assert ProcedureCode.objects.get(code="0591T").cpt_category == "III"


def test_flags_add_on_unlisted_and_drug(loaded):
    assert ProcedureCode.objects.get(code="99417").is_add_on
    assert ProcedureCode.objects.get(code="11045").is_add_on
    assert not ProcedureCode.objects.get(code="99213").is_add_on
    for unlisted in ("17999", "64999", "99499", "J3490", "J3590", "J9999", "E1399", "L8699", "J8499"):
        assert ProcedureCode.objects.get(code=unlisted).is_unlisted, unlisted
    assert not ProcedureCode.objects.get(code="J1100").is_unlisted


def test_hcpcs_codes_carry_cms_facts_and_drug_dose(loaded):
    j1100 = ProcedureCode.objects.get(code="J1100")
    assert j1100.system == CodeSystem.HCPCS and j1100.hcpcs_section == "J"
    assert j1100.long_description == "Injection, dexamethasone sodium phosphate, 1 mg"
    assert j1100.is_drug and j1100.drug_dose_amount == Decimal("1") and j1100.drug_dose_unit == "mg"
    assert j1100.drug_route == "injection"
    assert j1100.coverage_code == "D" and j1100.betos == "O1E" and j1100.added_date == date(1982, 1, 1)
    assert j1100.label == "Dexamethasone injection, per 1 mg"
    j3301 = ProcedureCode.objects.get(code="J3301")
    assert (j3301.drug_dose_amount, j3301.drug_dose_unit) == (Decimal("10"), "mg")
    assert ProcedureCode.objects.get(code="J8499").drug_route == "oral"
    zarxio = ProcedureCode.objects.get(code="Q5101")
    assert zarxio.is_drug and (zarxio.drug_dose_amount, zarxio.drug_dose_unit) == (Decimal("1"), "mcg")
    terminated = ProcedureCode.objects.get(code="J2505")
    assert terminated.termination_date == date(2021, 12, 31)
    assert not terminated.is_valid_on(date(2026, 1, 5))


def test_every_ncci_associated_modifier_with_its_group(loaded):
    groups = dict(Modifier.objects.exclude(ncci_group="").values_list("code", "ncci_group"))
    assert groups == NCCI_MODIFIERS
    common = "26 TC 50 51 52 53 76 77 22 33 95 GA GY GZ GX JW JZ KX Q5 Q6 QW GT GQ FS CR KH KI KJ RR NU UE BR RH"
    assert set(common.split()) <= set(Modifier.objects.values_list("code", flat=True))
    assert Modifier.objects.get(code="25").kind == "cpt"
    assert Modifier.objects.get(code="RT").description.startswith("Right side")  # CMS text
    assert Modifier.objects.get(code="JW").effective_date == date(2003, 1, 1)


def test_ncci_modifiers_match_the_cms_list():
    with shared_file("modifiers/ncci_ptp_associated_modifiers.csv").open(encoding="utf-8") as handle:
        official = {r["modifier"]: r["ncci_category"] for r in csv.DictReader(handle)}
    assert official == NCCI_MODIFIERS
    ours = {r["code"]: r["ncci_group"] for r in csv_rows("modifiers.csv") if r["ncci_group"]}
    assert ours == official


def test_all_99_places_of_service(loaded):
    codes = set(PlaceOfService.objects.values_list("code", flat=True))
    assert codes == {f"{n:02d}" for n in range(1, 100)}
    assert PlaceOfService.objects.get(code="11").name == "Office"
    assert PlaceOfService.objects.get(code="11").facility_type == FacilityType.NON_FACILITY
    assert PlaceOfService.objects.get(code="21").facility_type == FacilityType.FACILITY
    assert PlaceOfService.objects.filter(facility_type=FacilityType.UNASSIGNED).count() == 47


def test_edit_rows_for_known_pairs(loaded):
    # v30.1 pair (no effective date in that copy) and a v32.2 head row (with dates).
    edit = PTPEdit.objects.get(column_1="99214", column_2="99211")
    assert edit.modifier_indicator == 1 and edit.deletion_date is None and edit.effective_date is None
    assert edit.rationale == "Misuse of Column Two code with Column One code"
    head = PTPEdit.objects.get(column_1="0001A", column_2="99211")
    assert (head.effective_date, head.deletion_date) == (date(2022, 1, 1), date(2023, 12, 31))
    assert not head.applies_on(date(2023, 12, 31)) and head.applies_on(date(2023, 12, 30))
    # Every starter PTP row joins two codes of the starter set.
    ours = set(ProcedureCode.objects.filter(origin=CodeOrigin.STARTER).values_list("code", flat=True))
    pairs = PTPEdit.objects.values_list("column_1", "column_2")
    assert all(c1 in ours and c2 in ours for c1, c2 in pairs)

    mue = MUELimit.objects.get(code="99213", service_type=MUEServiceType.PRACTITIONER)
    assert (mue.value, mue.adjudication_indicator, mue.rationale) == (2, 3, "Clinical: Data")
    assert MUELimit.objects.get(code="J1100", service_type=MUEServiceType.PRACTITIONER).value == 120
    dme = MUELimit.objects.get(code="E0431", service_type=MUEServiceType.DME)
    assert (dme.value, dme.adjudication_indicator) == (1, 2)

    primaries = set(AddOnEdit.objects.filter(add_on_code="96375").values_list("primary_code", flat=True))
    assert {"96360", "96365", "96374", "96409", "96413"} <= primaries
    # A primary that is not in our list still exists as a code seen in an edit file.
    outside = ProcedureCode.objects.get(code="98003")
    assert outside.origin == CodeOrigin.EDIT_FILE and outside.label == ""

    fee = FeeScheduleIndicator.objects.get(code="99213", modifier="")
    assert fee.status == "A" and fee.global_days == "XXX"
    assert FeeScheduleIndicator.objects.get(code="20610", modifier="").global_days == "000"
    assert ASPLimit.objects.get(code="J1100").dosage == "1 MG"
    assert NDCCrosswalk.objects.filter(code="J1100").exists()
    assert all(len(ndc) == 11 for ndc in NDCCrosswalk.objects.values_list("ndc", flat=True))


def test_a_later_real_release_takes_over_from_the_starter_one(loaded):
    starter_mue = Release.objects.get(source=Source.MUE_PRACTITIONER)
    real = Release.objects.create(
        source=Source.MUE_PRACTITIONER, label="2026 Q2", effective_date=date(2026, 4, 1), file_name="x", sha256="0"
    )
    timeline = ReleaseTimeline.load()
    assert timeline.for_date(Source.MUE_PRACTITIONER, date(2026, 5, 1)) == real
    assert starter_mue != real


def test_starter_does_not_overwrite_rows_of_a_real_import_but_fills_the_label():
    real = Release.objects.create(
        source=Source.HCPCS, label="2026 January", effective_date=date(2026, 1, 1), file_name="x.txt", sha256="1"
    )
    ProcedureCode.objects.create(
        code="J1100", system=CodeSystem.HCPCS, short_description="From the real file", origin=CodeOrigin.HCPCS_FILE,
        release=real,
    )  # fmt: skip
    load()
    j1100 = ProcedureCode.objects.get(code="J1100")
    assert j1100.short_description == "From the real file"
    assert j1100.release == real and j1100.origin == CodeOrigin.HCPCS_FILE
    assert j1100.label == "Dexamethasone injection, per 1 mg"


def test_codes_seen_only_in_an_edit_file_are_taken_over():
    ProcedureCode.objects.create(code="99213", system=CodeSystem.CPT, origin=CodeOrigin.EDIT_FILE, origin_note="x")
    lines = load()
    code = ProcedureCode.objects.get(code="99213")
    assert code.origin == CodeOrigin.STARTER and code.label and code.origin_note == ""
    assert code.release.label == "starter (2026)"
    assert any(
        line.startswith("imported procedure_codes starter (2026): added ") and "changed 1" in line for line in lines
    )


def test_a_real_hcpcs_import_updates_the_same_rows_and_keeps_our_label(loaded):
    from codes.importers.hcpcs import HCPCSImporter

    path = shared_file("hcpcs_level2/HCPC2026_JAN_ANWEB_01122026.txt")
    HCPCSImporter(path).run()
    j3490 = ProcedureCode.objects.get(code="J3490")
    assert j3490.label == "Unclassified injectable drug (needs name, NDC and dose)"
    assert j3490.release.is_starter is False
    assert j3490.long_description == "Unclassified drugs"
    assert ProcedureCode.objects.filter(code="J3490").count() == 1
    assert ProcedureCode.objects.get(code="99213").label  # CPT rows untouched


# --- bad files: a message with file, line and field, and the database as before --------------------
def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


MUE_HEADER = "code,value,adjudication_indicator,rationale\n"


@pytest.mark.parametrize(
    ("importer", "content", "expected"),
    [
        (StarterMUEPractitionerImporter, "code,value,rationale\n99213,2,x\n", "line 1"),
        (StarterMUEPractitionerImporter, MUE_HEADER + "99213,2,3,Clinical\n99214,2\n", "line 3, field 'adjudication"),
        (StarterMUEPractitionerImporter, MUE_HEADER + "99213,two,3,Clinical\n", "line 2, field 'value'"),
        (StarterMUEPractitionerImporter, MUE_HEADER + "99213,2,4,Clinical\n", "line 2, field 'adjudication_indicator'"),
        (StarterMUEPractitionerImporter, MUE_HEADER + "9921,2,3,Clinical\n", "line 2, field 'code'"),
        (StarterMUEPractitionerImporter, MUE_HEADER + "99213,2,3,a\n99213,3,3,b\n", "line 3"),
        (StarterMUEPractitionerImporter, MUE_HEADER, "no rows"),
        (
            StarterAddOnImporter,
            "add_on_code,primary_code,edit_type,add_on_deletion_date,primary_deletion_date,effective_date,"
            "deletion_date,notes\n99417,99215,1,,,2023-13-01,,\n",
            "line 2, field 'effective_date'",
        ),
        (
            StarterPTPImporter,
            "column_1,column_2,in_existence_prior_1996,effective_date,deletion_date,modifier_indicator,rationale\n"
            "99214,99211,0,,,2,x\n",
            "line 2, field 'modifier_indicator'",
        ),
        (
            StarterNDCImporter,
            "ndc,code,labeler,drug_name,hcpcs_dosage,package_size,package_quantity,billing_units,"
            "billing_units_per_package\n12345-678-90,J1100,a,b,1 MG,1,1,1,1\n",
            "line 2, field 'ndc'",
        ),
        (
            StarterModifierImporter,
            "code,kind,ncci_group,short_description,description,effective_date,"
            "termination_date\n25,cpt,sideways,a,b,,\n",
            "line 2, field 'ncci_group'",
        ),  # fmt: skip
        (StarterPlaceOfServiceImporter, "code,name,description,facility_type\n1,Pharmacy,x,facility\n", "line 2"),
    ],
)
def test_malformed_files_are_refused_and_nothing_changes(tmp_path, importer, content, expected):
    path = write(tmp_path, "bad.csv", content)
    with pytest.raises(ImportFileError) as caught:
        importer(path).run()
    assert "bad.csv" in str(caught.value) and expected in str(caught.value)
    assert Release.objects.count() == 0
    assert all(model.objects.count() == 0 for model in MODELS)


def test_wrong_encoding_and_empty_file(tmp_path):
    latin = write(tmp_path, "latin.csv", MUE_HEADER + "99213,2,3,Donn\xe9es\n", encoding="latin-1")
    with pytest.raises(ImportFileError, match="latin.csv: the file is not in the expected text encoding"):
        StarterMUEPractitionerImporter(latin).run()
    empty = write(tmp_path, "empty.csv", "")
    with pytest.raises(ImportFileError, match="empty.csv: the file is empty"):
        StarterMUEPractitionerImporter(empty).run()
    assert Release.objects.count() == 0 and MUELimit.objects.count() == 0


def test_a_cpt_descriptor_in_the_codes_file_is_refused(tmp_path):
    header = ",".join(StarterCPTImporter.columns)
    row = "99213,Our label,Some short text,,,,,,,,,,0,0,0,,,"
    path = write(tmp_path, "procedure_codes.csv", f"{header}\n{row}\n")
    with pytest.raises(ImportFileError, match="line 2, field 'short_description': CPT rows carry our label only"):
        StarterCPTImporter(path).run()
    # The HCPCS pass of the same file has no CPT rows to judge, and loads nothing for CPT.
    StarterHCPCSImporter(path).run()
    assert not ProcedureCode.objects.filter(code="99213").exists()


def test_one_bad_file_leaves_the_whole_starter_load_undone(tmp_path, monkeypatch):
    copy = tmp_path / "starter"
    shutil.copytree(STARTER_DIR, copy)
    with (copy / "asp_limits.csv").open("a", encoding="utf-8") as handle:
        handle.write("J9999,1 MG,1,mg,not-a-number,20\n")
    monkeypatch.setattr(starter, "STARTER_DIR", copy)
    with pytest.raises(CommandError, match=r"asp_limits.csv, line \d+, field 'payment_limit'.*nothing was loaded"):
        call_command("load_starter_data", "--without-icd10cm", stdout=StringIO())
    assert Release.objects.count() == 0
    assert all(model.objects.count() == 0 for model in MODELS)


# --- the build script ----------------------------------------------------------------------------
def test_build_script_reproduces_the_committed_files(tmp_path):
    shared_file("ncci_ptp/ptp_practitioner_v30.1_2024Q2_pairs_derived.csv.gz")
    spec = importlib.util.spec_from_file_location(
        "build_starter_data", settings.BASE_DIR / "scripts/build_starter_data.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main(["--shared", str(settings.SHARED_DATA_DIR), "--out", str(tmp_path)])
    generated = sorted(p.name for p in tmp_path.iterdir())
    assert generated == sorted({importer.file_name for importer in STARTER_IMPORTERS})
    for name in generated:
        assert (tmp_path / name).read_bytes() == (STARTER_DIR / name).read_bytes(), name


# --- the starter data never shadows a real release (issue 11) ---------------------------------------


def test_starter_data_loaded_after_real_releases_never_becomes_the_release_that_applies():
    """`make run` loads the starter data on every start: after the real CMS files were imported, the small
    starter subset must not become the applicable release of a table, neither by a later effective date
    (MUE: starter 2026 Q2 after a real 2026 Q1) nor by a later import of the same date (PTP 2024 Q2)."""
    from claims.rules import check_document
    from codes.choices import MUEAdjudication, PTPModifierIndicator
    from tests.claims.rules.builders import claim, line
    from tests.codes.factories import make_mue, make_ptp, make_release

    real_ptp = make_release(Source.PTP_PRACTITIONER, "v30.1 2024 Q2", effective_date=date(2024, 4, 1))
    make_ptp(real_ptp, "93000", "36415", modifier_indicator=PTPModifierIndicator.NOT_ALLOWED)
    real_mue = make_release(Source.MUE_PRACTITIONER, "2026 Q1 practitioner", effective_date=date(2026, 1, 1))
    make_mue(real_mue, "36415", 1, adjudication_indicator=MUEAdjudication.LINE)

    call_command("load_starter_data", "--without-icd10cm", stdout=StringIO())
    call_command("load_starter_data", "--without-icd10cm", stdout=StringIO())  # and again, as every `make run` does

    timeline = ReleaseTimeline.load()
    assert timeline.newest(Source.PTP_PRACTITIONER) == real_ptp
    assert timeline.for_date(Source.MUE_PRACTITIONER, date(2026, 5, 4)) == real_mue
    starter_ptp = Release.objects.get(source=Source.PTP_PRACTITIONER, is_starter=True)
    assert starter_ptp in timeline.releases(Source.PTP_PRACTITIONER)  # still listed, for its rows' labels

    findings = check_document(
        {"claims": [claim(line(1, "93000"), line(2, "36415", units=2), id="REAL", dos="2026-05-04")]}
    )["claims"][0]["findings"]
    rules = {(finding["line"], finding["rule"]) for finding in findings}
    assert (2, "PTP-MI0") in rules  # a pair only the real release has
    assert (2, "MUE-LINE") in rules  # the real MUE of 1, not the starter's 2


def test_starter_releases_apply_while_no_real_release_of_the_table_is_loaded():
    call_command("load_starter_data", "--without-icd10cm", stdout=StringIO())
    starter_mue = Release.objects.get(source=Source.MUE_PRACTITIONER, is_starter=True)
    timeline = ReleaseTimeline.load()
    assert timeline.for_date(Source.MUE_PRACTITIONER, date(2026, 5, 4)) == starter_mue
    assert timeline.newest(Source.PTP_PRACTITIONER).is_starter


@pytest.mark.django_db
def test_only_the_chosen_icd10cm_editions_are_loaded():
    call_command("load_starter_data", "--icd10cm-year", "2025", stdout=StringIO())
    labels = list(Release.objects.filter(source=Source.ICD10CM).values_list("label", flat=True))
    assert len(labels) == 1 and labels[0].startswith("FY2025")
    with pytest.raises(CommandError, match=r"no shipped ICD-10-CM edition for fiscal year\(s\) 2019"):
        call_command("load_starter_data", "--icd10cm-year", "2019", stdout=StringIO())
    with pytest.raises(CommandError, match="contradict"):
        call_command("load_starter_data", "--icd10cm-year", "2025", "--without-icd10cm", stdout=StringIO())
