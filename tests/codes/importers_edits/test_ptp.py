"""import_ptp: the CMS PTP text files (and zips of them, and the derived CSV), one release per call."""

import gzip
import zipfile
from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from codes.choices import CodeOrigin, Source
from codes.importers import ptp
from codes.importers.base import ImportFileError
from codes.importers.ptp import PTPImporter, version_release
from codes.models import ProcedureCode, PTPEdit, Release
from tests.conftest import shared_file

pytestmark = pytest.mark.django_db

HEAD = "ncci_ptp/ccipra-v322r0-f1_head.txt"
HEADER = [
    "Notice line\t\t\t\t\t\t",
    "Column1/Column2 Edits\t\t\t\t\t\t",
    "Column 1\tColumn 2\t*=in existence\tEffective\tDeletion\tModifier\tPTP Edit Rationale",
    "\t\tprior to 1996\tDate\tDate\t0=not allowed\t",
    "\t\t\t\t*=no data\t1=allowed\t",
    "\t\t\t\t\t9=not applicable\t",
]
FIRST_DATA_LINE = len(HEADER) + 1


def write_ptp(directory, name, rows, header=HEADER):
    path = directory / name
    path.write_bytes(("\r\n".join([*header, *rows]) + "\r\n").encode())
    return path


def import_command(*paths, **options):
    out = StringIO()
    call_command("import_ptp", *map(str, paths), stdout=out, **options)
    return out.getvalue().strip()


def assert_untouched():
    assert PTPEdit.objects.count() == 0
    assert Release.objects.count() == 0


# --- the real head file -------------------------------------------------------------------------
def test_head_file_loads_154_rows_with_exact_summary():
    path = shared_file(HEAD)
    assert import_command(path) == (
        "imported ptp_edits v32.2: added 154, changed 0, terminated 0, unchanged 0, total 154"
    )
    release = Release.objects.get()
    assert (release.source, release.label, release.effective_date) == (
        Source.PTP_PRACTITIONER,
        "v32.2",
        date(2026, 7, 1),
    )
    assert release.file_name == "ccipra-v322r0-f1_head.txt"
    assert PTPEdit.objects.filter(release=release, setting="practitioner").count() == 154

    first = PTPEdit.objects.get(column_1="0001A", column_2="0591T")
    assert first.effective_date == date(2022, 1, 1)
    assert first.deletion_date == date(2023, 12, 31)
    assert first.modifier_indicator == 1
    assert first.rationale == "CPT Manual or CMS manual coding instruction"
    assert first.in_existence_prior_1996 is False

    open_edit = PTPEdit.objects.get(column_1="0001U", column_2="81164")
    assert open_edit.deletion_date is None  # '*' = no deletion date
    assert open_edit.rationale == "Misuse of Column Two code with Column One code"

    not_applicable = PTPEdit.objects.get(column_1="0001A", column_2="90473")
    assert not_applicable.modifier_indicator == 9
    assert not_applicable.effective_date == not_applicable.deletion_date == date(2022, 1, 1)

    # Codes seen only here now exist, with their origin noted.
    code = ProcedureCode.objects.get(code="0591T")
    assert code.origin == CodeOrigin.EDIT_FILE
    assert "PTP" in code.origin_note


def test_same_file_twice_changes_nothing():
    path = shared_file(HEAD)
    import_command(path)
    ids = set(PTPEdit.objects.values_list("id", flat=True))
    assert import_command(path) == (
        "imported ptp_edits v32.2: added 0, changed 0, terminated 0, unchanged 154, total 154"
    )
    assert set(PTPEdit.objects.values_list("id", flat=True)) == ids
    assert Release.objects.count() == 1


def test_zip_of_the_head_file(tmp_path):
    archive = tmp_path / "ccipra-v322r0-f1.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.write(shared_file(HEAD), "ccipra-v322r0-f1.txt")
        out.writestr("readme.pdf", b"%PDF not data")
    results = PTPImporter(archive).run()
    assert results[0].summary_line == (
        "imported ptp_edits v32.2: added 154, changed 0, terminated 0, unchanged 0, total 154"
    )
    assert PTPEdit.objects.count() == 154


def test_several_files_are_one_release(tmp_path):
    lines = shared_file(HEAD).read_text().splitlines()
    header, rows = lines[:6], lines[6:]
    f1 = write_ptp(tmp_path, "ccipra-v322r0-f1.txt", rows[:100], header)
    f2 = write_ptp(tmp_path, "ccipra-v322r0-f2.txt", rows[100:], header)
    output = import_command(f1, f2)
    assert output == "imported ptp_edits v32.2: added 154, changed 0, terminated 0, unchanged 0, total 154"
    release = Release.objects.get()
    assert release.file_name == "ccipra-v322r0-f1.txt, ccipra-v322r0-f2.txt"
    assert PTPEdit.objects.count() == 154
    # The same two files again, in another order: the same release, unchanged.
    assert import_command(f2, f1).endswith("unchanged 154, total 154")


# --- releases and counts ------------------------------------------------------------------------
def test_version_to_release():
    assert version_release(32, 2) == ("v32.2", date(2026, 7, 1))
    assert version_release(30, 1) == ("v30.1", date(2024, 4, 1))
    assert version_release(31, 0) == ("v31.0", date(2025, 1, 1))
    with pytest.raises(ValueError):
        version_release(31, 4)


def test_newer_release_counts(tmp_path):
    old = write_ptp(
        tmp_path,
        "ccipra-v322r0-f1.txt",
        [
            "11000\t11001\t\t20200101\t*\t0\tMutually exclusive procedures",  # unchanged
            "11000\t11002\t\t20200101\t*\t0\tMutually exclusive procedures",  # indicator changes
            "11000\t11003\t*\t19960101\t*\t1\tStandards of medical/surgical practice",  # gains a deletion date
            "11000\t11004\t\t20200101\t*\t1\tStandards of medical/surgical practice",  # dropped
        ],
    )
    new = write_ptp(
        tmp_path,
        "ccipra-v323r0-f1.txt",
        [
            "11000\t11001\t\t20200101\t*\t0\tMutually exclusive procedures",
            "11000\t11002\t\t20200101\t*\t1\tMutually exclusive procedures",
            "11000\t11003\t*\t19960101\t20260930\t1\tStandards of medical/surgical practice",
            "11000\t11005\t\t20261001\t*\t1\tMore extensive procedure",  # new
        ],
    )
    import_command(old)
    assert import_command(new) == ("imported ptp_edits v32.3: added 1, changed 1, terminated 2, unchanged 1, total 4")
    newer = Release.objects.get(label="v32.3")
    assert newer.effective_date == date(2026, 10, 1)
    assert PTPEdit.objects.filter(release=newer).count() == 4
    assert PTPEdit.objects.count() == 8  # each release keeps its own rows
    assert PTPEdit.objects.get(release=newer, column_2="11003").in_existence_prior_1996 is True
    assert PTPEdit.objects.get(release=newer, column_2="11003").deletion_date == date(2026, 9, 30)


def test_corrected_file_of_the_same_release_replaces_its_rows(tmp_path):
    first = write_ptp(tmp_path, "ccipra-v322r0-f1.txt", ["11000\t11001\t\t20200101\t*\t0\tSequential procedure"])
    import_command(first)
    corrected_dir = tmp_path / "r1"
    corrected_dir.mkdir()
    corrected = write_ptp(
        corrected_dir,
        "ccipra-v322r1-f1.txt",
        ["11000\t11001\t\t20200101\t*\t1\tSequential procedure", "11000\t11009\t\t20200101\t*\t1\tLaboratory panel"],
    )
    import_command(corrected)
    release = Release.objects.get()
    assert release.label == "v32.2"
    assert sorted(PTPEdit.objects.values_list("column_2", "modifier_indicator")) == [("11001", 1), ("11009", 1)]


def test_dry_run_leaves_nothing(tmp_path):
    path = write_ptp(tmp_path, "ccipra-v322r0-f1.txt", ["11000\t11001\t\t20200101\t*\t0\tLaboratory panel"])
    output = import_command(path, dry_run=True)
    assert output.startswith("[dry run] imported ptp_edits v32.2: added 1,")
    assert_untouched()


def test_hospital_setting(tmp_path):
    path = write_ptp(tmp_path, "ccioph-v322r0-f1.txt", ["11000\t11001\t\t20200101\t*\t0\tLaboratory panel"])
    import_command(path, setting="hospital")
    release = Release.objects.get()
    assert release.source == Source.PTP_HOSPITAL
    assert PTPEdit.objects.get().setting == "hospital"


def test_hospital_file_as_practitioner_is_refused(tmp_path):
    path = write_ptp(tmp_path, "ccioph-v322r0-f1.txt", ["11000\t11001\t\t20200101\t*\t0\tLaboratory panel"])
    with pytest.raises(CommandError, match="outpatient hospital PTP file but --setting practitioner"):
        import_command(path)
    assert_untouched()


def test_files_of_different_releases_are_refused(tmp_path):
    row = ["11000\t11001\t\t20200101\t*\t0\tLaboratory panel"]
    a = write_ptp(tmp_path, "ccipra-v322r0-f1.txt", row)
    b = write_ptp(tmp_path, "ccipra-v323r0-f2.txt", row)
    with pytest.raises(CommandError, match="different PTP releases"):
        import_command(a, b)
    assert_untouched()


def test_unknown_file_name_needs_release_options(tmp_path):
    path = write_ptp(tmp_path, "edits.txt", ["11000\t11001\t\t20200101\t*\t0\tLaboratory panel"])
    with pytest.raises(CommandError, match="pass --release and --effective-date"):
        import_command(path)
    import_command(path, label="v32.2", effective_date=date(2026, 7, 1))
    assert Release.objects.get().label == "v32.2"


def test_big_load_path_rebuilds_the_indexes(tmp_path, monkeypatch):
    monkeypatch.setattr(ptp, "BIG_LOAD_BYTES", 0)
    path = write_ptp(
        tmp_path,
        "ccipra-v322r0-f1.txt",
        [f"11000\t{11001 + i}\t\t20200101\t*\t0\tLaboratory panel" for i in range(50)],
    )
    import_command(path)
    assert PTPEdit.objects.count() == 50
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, PTPEdit._meta.db_table)
    indexes = {tuple(info["columns"]) for info in constraints.values() if info["index"] and not info["primary_key"]}
    assert {("release_id", "column_1"), ("release_id", "column_2", "column_1")} <= indexes
    assert {"ptp_release_col1", "ptp_release_col2_col1"} <= set(constraints)


# --- the derived CSV ----------------------------------------------------------------------------
def test_derived_gz(tmp_path):
    path = tmp_path / "ptp_practitioner_v30.1_2024Q2_pairs_derived.csv.gz"
    with gzip.open(path, "wt", newline="") as out:
        out.write('"column_1","column_2","deletion_date","modifier_indicator","ptp_edit_rationale"\n')
        out.write('"0001A","0591T","20231231",1,"CPT Manual or CMS manual coding instruction"\n')
        out.write('"0001A","0591T","*",0,"CPT Manual or CMS manual coding instruction"\n')
        out.write('"10021","76942","*",9,"Misuse of Column Two code with Column One code"\n')
    assert import_command(path) == "imported ptp_edits v30.1: added 3, changed 0, terminated 0, unchanged 0, total 3"
    release = Release.objects.get()
    assert release.effective_date == date(2024, 4, 1)
    rows = PTPEdit.objects.order_by("column_1", "modifier_indicator").values_list(
        "column_1", "column_2", "effective_date", "deletion_date", "modifier_indicator", "in_existence_prior_1996"
    )
    assert list(rows) == [
        ("0001A", "0591T", None, None, 0, False),
        ("0001A", "0591T", None, date(2023, 12, 31), 1, False),
        ("10021", "76942", None, None, 9, False),
    ]


def test_derived_gz_with_a_bad_row(tmp_path):
    path = tmp_path / "ptp_practitioner_v30.1_2024Q2_pairs_derived.csv.gz"
    with gzip.open(path, "wt", newline="") as out:
        out.write("column_1,column_2,deletion_date,modifier_indicator,ptp_edit_rationale\n")
        out.write("0001A,0591T,20231231,1,Laboratory panel\n")
        out.write("0001A,0592T,20231331,1,Laboratory panel\n")
    with pytest.raises(CommandError, match=r"line 3, field 'Deletion date': '20231331' is not a date"):
        import_command(path)
    assert_untouched()


# --- malformed files ----------------------------------------------------------------------------
GOOD = "11000\t11001\t\t20200101\t*\t0\tLaboratory panel"


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (
            [GOOD, "11000\t11002\t\t20200101\t*\t0"],
            rf"line {FIRST_DATA_LINE + 1}: expected 7 tab-separated fields, found 6",
        ),
        (
            [GOOD, "11000,11002,,20200101,*,0,x"],
            rf"line {FIRST_DATA_LINE + 1}: expected 7 tab-separated fields, found 1",
        ),
        (
            [GOOD, GOOD, "11000\t11002\t\t20200230\t*\t0\tLaboratory panel"],
            rf"line {FIRST_DATA_LINE + 2}, field 'Effective date': '20200230' is not a date",
        ),
        (
            ["11000\t11002\t\t20200101\t2020-12-31\t0\tLaboratory panel"],
            rf"line {FIRST_DATA_LINE}, field 'Deletion date': '2020-12-31' is not a date",
        ),
        (
            ["11000\t11002\t\t\t*\t0\tLaboratory panel"],
            rf"line {FIRST_DATA_LINE}, field 'Effective date': a date is required",
        ),
        (
            [GOOD, "11000\t11002\t\t20200101\t*\t2\tLaboratory panel"],
            rf"line {FIRST_DATA_LINE + 1}, field 'Modifier indicator': '2' is not a modifier indicator",
        ),
        (
            ["11000\t1100\t\t20200101\t*\t0\tLaboratory panel"],
            rf"line {FIRST_DATA_LINE}, field 'Column 2': '1100' is not a 5-character procedure code",
        ),
        (
            ["11000\t11002\tY\t20200101\t*\t0\tLaboratory panel"],
            rf"line {FIRST_DATA_LINE}, field 'In existence prior to 1996'",
        ),
        (
            [GOOD, "11000\t11002\t\t20200101\t*\t0\t" + "x" * 121],
            rf"line {FIRST_DATA_LINE + 1}, field 'PTP edit rationale': the rationale is longer than 120 characters",
        ),
    ],
)
def test_malformed_rows_leave_the_database_untouched(tmp_path, rows, message):
    path = write_ptp(tmp_path, "ccipra-v322r0-f1.txt", rows)
    with pytest.raises(CommandError, match=rf"ccipra-v322r0-f1.txt, {message}.*nothing was imported"):
        import_command(path)
    assert_untouched()
    assert not ProcedureCode.objects.exists()


def test_empty_file(tmp_path):
    path = tmp_path / "ccipra-v322r0-f1.txt"
    path.write_bytes(b"")
    with pytest.raises(CommandError, match="the file is empty"):
        import_command(path)
    assert_untouched()


def test_header_only_file(tmp_path):
    path = write_ptp(tmp_path, "ccipra-v322r0-f1.txt", [])
    with pytest.raises(CommandError, match="holds no PTP rows"):
        import_command(path)
    assert_untouched()


def test_non_text_bytes(tmp_path):
    path = tmp_path / "ccipra-v322r0-f1.txt"
    path.write_bytes(("\r\n".join([*HEADER, GOOD]) + "\r\n").encode() + b"\x00\x01\x81\xff\xfe binary\r\n")
    with pytest.raises(CommandError, match=rf"line {FIRST_DATA_LINE + 1}: the file holds binary data"):
        import_command(path)
    assert_untouched()


def test_undecodable_bytes(tmp_path):
    path = tmp_path / "ccipra-v322r0-f1.txt"
    path.write_bytes(("\r\n".join([*HEADER, GOOD]) + "\r\n").encode() + b"11000\t11002\x81\r\n")
    with pytest.raises(CommandError, match=rf"line {FIRST_DATA_LINE + 1}: byte 0x81 is not text"):
        import_command(path)
    assert_untouched()


def test_file_without_the_ptp_header(tmp_path):
    path = tmp_path / "ccipra-v322r0-f1.txt"
    path.write_text("a,b,c\n1,2,3\n")
    with pytest.raises(CommandError, match="not a CMS PTP file"):
        import_command(path)
    assert_untouched()


def test_bad_file_in_a_release_leaves_the_other_files_unloaded(tmp_path):
    good = write_ptp(tmp_path, "ccipra-v322r0-f1.txt", [GOOD])
    bad = write_ptp(tmp_path, "ccipra-v322r0-f2.txt", ["11000\t11002\t\t20200101\t*\t7\tLaboratory panel"])
    with pytest.raises(CommandError, match=r"ccipra-v322r0-f2.txt, line 7, field 'Modifier indicator'"):
        import_command(good, bad)
    assert_untouched()


def test_bad_newer_release_keeps_the_loaded_one(tmp_path):
    import_command(write_ptp(tmp_path, "ccipra-v322r0-f1.txt", [GOOD]))
    bad = write_ptp(tmp_path, "ccipra-v323r0-f1.txt", [GOOD, "11000\t11002\t\t20200101"])
    with pytest.raises(ImportFileError):
        PTPImporter(bad).run()
    assert list(Release.objects.values_list("label", flat=True)) == ["v32.2"]
    assert PTPEdit.objects.count() == 1


def test_broken_zip(tmp_path):
    path = tmp_path / "ccipra-v322r0-f1.zip"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(CommandError, match="not a readable .zip file"):
        import_command(path)
    assert_untouched()


def test_zip_with_the_files_of_a_quarter(tmp_path):
    lines = shared_file(HEAD).read_text().splitlines()
    header, rows = lines[:6], lines[6:]
    archive = tmp_path / "ccipra-v322r0.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr("ccipra-v322r0-f2.txt", "\r\n".join([*header, *rows[80:]]) + "\r\n")
        out.writestr("ccipra-v322r0-f1.txt", "\r\n".join([*header, *rows[:80]]) + "\r\n")
    assert import_command(archive).endswith("added 154, changed 0, terminated 0, unchanged 0, total 154")


def test_zip_without_text_files(tmp_path):
    archive = tmp_path / "ccipra-v322r0-f1.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr("readme.pdf", b"%PDF")
    with pytest.raises(CommandError, match="the .zip holds no PTP .txt file"):
        import_command(archive)
    assert_untouched()


def test_zip_member_errors_name_the_member(tmp_path):
    archive = tmp_path / "ccipra-v322r0-f1.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr("ccipra-v322r0-f1.txt", "\r\n".join([*HEADER, GOOD, "11000\t11002\t\tbad\t*\t0\tx"]) + "\r\n")
    with pytest.raises(
        CommandError, match=r"ccipra-v322r0-f1.zip \(ccipra-v322r0-f1.txt\), line 8, field 'Effective date'"
    ):
        import_command(archive)
    assert_untouched()


def test_derived_csv_with_another_header(tmp_path):
    path = tmp_path / "ptp_practitioner_v30.1_2024Q2_pairs_derived.csv"
    path.write_text("col1,col2\n0001A,0591T\n")
    with pytest.raises(CommandError, match="line 1: expected the header column_1,column_2"):
        import_command(path)
    assert_untouched()
