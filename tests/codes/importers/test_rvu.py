"""import_rvu: fee-schedule indicators from the PFS relative value file (PPRRVU)."""

from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command

from codes.choices import CodeOrigin, Source
from codes.importers.base import ImportFileError
from codes.importers.rvu import RVUImporter, release_from_name
from codes.models import FeeScheduleIndicator, ProcedureCode, Release
from tests.conftest import shared_file

pytestmark = pytest.mark.django_db

HEADER = (
    "HCPCS,MOD,STATUS CODE,NOT USED FOR MEDICARE PAYMENT,WORK RVU,PCTC IND,GLOB DAYS,MULT PROC,BILAT SURG,"
    "ASST SURG,CO- SURG,TEAM SURG,CONV FACTOR\n"
)
ROWS = (
    "99213,,A,,1.30,0,XXX,0,0,0,0,0,32.3465\n"
    "70450,26,A,,0.85,1,XXX,4,0,0,0,0,32.3465\n"
    "70450,TC,A,,0.00,1,XXX,4,0,0,0,0,32.3465\n"
)


def run_command(*args) -> list[str]:
    out = StringIO()
    call_command("import_rvu", *map(str, args), stdout=out)
    return out.getvalue().splitlines()


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("PPRRVU25_JAN_no_descriptors.csv", ("RVU25A", date(2025, 1, 1))),
        ("PPRRVU25_APR.csv", ("RVU25B", date(2025, 4, 1))),
        ("PPRRVU26_JUL.csv", ("RVU26C", date(2026, 7, 1))),
        ("pprrvu24_oct.csv", ("RVU24D", date(2024, 10, 1))),
        ("RVU26A.csv", ("RVU26A", date(2026, 1, 1))),
        ("fees.csv", None),
    ],
)
def test_release_from_name(name, expected):
    assert release_from_name(name) == expected


def test_real_file():
    path = shared_file("pfs_rvu/PPRRVU25_JAN_no_descriptors.csv")
    assert run_command(path) == [
        "imported fee_schedule RVU25A: added 18865, changed 0, terminated 0, unchanged 0, total 18865"
    ]
    release = Release.objects.get(source=Source.PFS_RVU)
    assert (release.label, release.effective_date) == ("RVU25A", date(2025, 1, 1))
    assert FeeScheduleIndicator.objects.filter(status="A").count() == 9023
    assert FeeScheduleIndicator.objects.exclude(modifier="").count() == 2219
    # PROVENANCE.md says 16,648 distinct codes; the file itself holds 16,647 (checked with sort -u)
    assert FeeScheduleIndicator.objects.values("code").distinct().count() == 16647
    first = FeeScheduleIndicator.objects.get(code="A0021", modifier="")
    assert (first.status, first.pctc_indicator, first.global_days, first.multiple_procedure) == ("I", "9", "XXX", "9")
    assert (first.bilateral_surgery, first.assistant_surgery, first.co_surgery, first.team_surgery) == (
        "9",
        "9",
        "9",
        "9",
    )
    assert FeeScheduleIndicator.objects.filter(not_used_for_medicare=True).count() == 146
    # codes seen only here are created so the engine knows them
    assert ProcedureCode.objects.filter(origin=CodeOrigin.EDIT_FILE).exists()
    assert ProcedureCode.objects.get(code="99213").origin_note == "PFS relative value file RVU25A"
    assert run_command(path) == [
        "imported fee_schedule RVU25A: added 0, changed 0, terminated 0, unchanged 18865, total 18865"
    ]


def test_raw_cms_file_with_preamble_and_wrapped_header(tmp_path):
    raw = (
        "2025 National Physician Fee Schedule Relative Value File January Release,,,,,,,,,,,,\n"
        "CPT codes and descriptions only are copyright 2024 American Medical Association.,,,,,,,,,,,,\n"
        ",,,,,,,,,,,,\n"
        "HCPCS,MOD,STATUS,NOT USED,WORK,PCTC,GLOB,MULT,BILAT,ASST,CO-,TEAM,CONV\n"
        ",,CODE,FOR MEDICARE,RVU,IND,DAYS,PROC,SURG,SURG,SURG,SURG,FACTOR\n"
        ",,,PAYMENT,,,,,,,,,\n" + ROWS + "END OF FILE,,,,,,,,,,,,\n"
    )
    path = tmp_path / "PPRRVU25_APR.csv"
    path.write_text(raw)
    assert run_command(path) == ["imported fee_schedule RVU25B: added 3, changed 0, terminated 0, unchanged 0, total 3"]
    assert FeeScheduleIndicator.objects.get(code="70450", modifier="26").pctc_indicator == "1"


def test_newer_release_and_correction(tmp_path):
    (tmp_path / "PPRRVU25_JAN.csv").write_text(HEADER + ROWS)
    run_command(tmp_path / "PPRRVU25_JAN.csv")
    april = tmp_path / "PPRRVU25_APR.csv"
    april.write_text(HEADER + ROWS.replace("99213,,A", "99213,,R").replace("70450,TC", "70460,TC"))
    assert run_command(april) == [
        "imported fee_schedule RVU25B: added 1, changed 1, terminated 1, unchanged 1, total 3"
    ]
    assert FeeScheduleIndicator.objects.filter(release__label="RVU25A").count() == 3  # snapshot kept
    # a corrected April file replaces April's rows
    corrected = tmp_path / "PPRRVU25_APR_corrected.csv"
    corrected.write_text(HEADER + ROWS.replace("99213,,A", "99213,,R"))
    assert run_command(corrected) == [
        "imported fee_schedule RVU25B: added 0, changed 1, terminated 0, unchanged 2, total 3"
    ]
    assert not FeeScheduleIndicator.objects.filter(code="70460").exists()
    assert FeeScheduleIndicator.objects.get(release__label="RVU25B", code="99213").status == "R"


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ("", r"^PPRRVU25_APR.csv: the file is empty$"),
        ("CODE,MOD\n99213,\n", r"line 1, field 'HCPCS': no header row"),
        (HEADER.replace(",GLOB DAYS", ",GLOBAL") + ROWS, r"line 1, field 'GLOB DAYS': the header row lacks"),
        (HEADER + "99213,,A,,1.30\n", r"line 2, field 'PCTC IND': the row has 5 fields"),
        (HEADER + ROWS + "9921,,A,,1.30,0,XXX,0,0,0,0,0,32.3465\n", r"line 5, field 'HCPCS': 9921 has 4 characters"),
        (HEADER + "99213,,,,1.30,0,XXX,0,0,0,0,0,32.3465\n", r"line 2, field 'STATUS CODE': the status code is blank"),
        (HEADER + "99213,,A,,1.30,0,XXXX,0,0,0,0,0,1\n", r"line 2, field 'GLOB DAYS': 'XXXX' is longer"),
        (HEADER + ROWS + ROWS, r"line 5, field 'HCPCS': 99213 appears twice"),
    ],
)
def test_malformed(tmp_path, text, pattern):
    (tmp_path / "PPRRVU25_JAN.csv").write_text(HEADER + ROWS)
    RVUImporter(tmp_path / "PPRRVU25_JAN.csv").run()
    before = list(FeeScheduleIndicator.objects.values_list()), list(Release.objects.values_list())
    path = tmp_path / "PPRRVU25_APR.csv"
    path.write_text(text)
    with pytest.raises(ImportFileError, match=pattern):
        RVUImporter(path).run()
    assert (list(FeeScheduleIndicator.objects.values_list()), list(Release.objects.values_list())) == before
