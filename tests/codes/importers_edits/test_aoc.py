"""import_aoc: the CMS add-on code edit table, .xlsx and .csv."""

from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from codes.choices import CodeOrigin
from codes.models import AddOnEdit, ProcedureCode, Release
from tests.conftest import shared_file

pytestmark = pytest.mark.django_db

HEADER = (
    "AOC_Edit_Type,Add-On_Code,AOC_DelDT,Primary_Code,Primary_Code_DelDT,AOC_Edit_EffDT,AOC_Edit_DelDT,"
    "Special_Instruction_Notes"
)
SUMMARY_9000 = "imported addon_edits 2026 Q2: added 9000, changed 0, terminated 0, unchanged 0, total 9000"


def write_aoc(directory, rows, name="AOC_V2026Q2-MCR.csv"):
    path = directory / name
    path.write_text("\n".join([HEADER, *rows, ""]))
    return path


def import_command(path, **options):
    out = StringIO()
    call_command("import_aoc", str(path), stdout=out, **options)
    return out.getvalue().strip()


def assert_untouched():
    assert not AddOnEdit.objects.exists()
    assert not Release.objects.exists()


@pytest.mark.parametrize("name", ["AOC_V2026Q2-MCR.csv", "AOC_V2026Q2-MCR.xlsx"])
def test_real_files(name):
    path = shared_file(f"ncci_aoc/{name}")
    assert import_command(path) == SUMMARY_9000
    release = Release.objects.get()
    assert (release.label, release.effective_date) == ("2026 Q2", date(2026, 4, 1))
    assert AddOnEdit.objects.count() == 9000
    assert AddOnEdit.objects.filter(edit_type=1).count() == 8293
    assert AddOnEdit.objects.filter(edit_type=2).count() == 47
    assert AddOnEdit.objects.filter(edit_type=3).count() == 660
    assert AddOnEdit.objects.filter(deletion_date__isnull=True).count() == 7740

    contractor = AddOnEdit.objects.get(add_on_code="0054T")
    assert (contractor.primary_code, contractor.edit_type) == ("CCCCC", 2)
    assert contractor.effective_date == date(2013, 4, 1)  # 2013091
    assert contractor.notes == "Contractor Defined Primary Codes"
    ended = AddOnEdit.objects.get(add_on_code="0079T", primary_code="0078T")
    assert ended.deletion_date == ended.add_on_deletion_date == date(2013, 12, 31)  # 2013365

    # The add-on codes are flagged; CCCCC is not a code and is not created.
    assert ProcedureCode.objects.get(code="0054T").is_add_on is True
    assert ProcedureCode.objects.get(code="0078T").is_add_on is False
    assert ProcedureCode.objects.get(code="0078T").origin == CodeOrigin.EDIT_FILE
    assert not ProcedureCode.objects.filter(code="CCCCC").exists()
    assert ProcedureCode.objects.filter(is_add_on=True).count() == 830

    assert import_command(path).endswith("unchanged 9000, total 9000")
    assert AddOnEdit.objects.count() == 9000


def test_existing_code_keeps_its_label_and_gets_the_flag(tmp_path):
    ProcedureCode.objects.create(code="11001", system="CPT", label="Our own label", origin="starter")
    import_command(write_aoc(tmp_path, ["1,11001,,11000,,2024001,,"]))
    code = ProcedureCode.objects.get(code="11001")
    assert (code.is_add_on, code.label, code.origin) == (True, "Our own label", "starter")


def test_newer_release_counts(tmp_path):
    import_command(
        write_aoc(
            tmp_path,
            [
                "1,11001,,11000,,2024001,,",  # unchanged
                "1,11002,,11000,,2024001,,",  # changes type
                "1,11003,,11000,,2024001,,",  # gains a deletion date
                "1,11004,,11000,,2024001,,",  # dropped
            ],
        )
    )
    newer = write_aoc(
        tmp_path,
        [
            "1,11001,,11000,,2024001,,",
            "3,11002,,11000,,2024001,,",
            "1,11003,,11000,,2024001,2026181,",
            "1,11005,,11000,,2026182,,New pair",
        ],
        name="AOC_V2026Q3-MCR.csv",
    )
    assert import_command(newer) == (
        "imported addon_edits 2026 Q3: added 1, changed 1, terminated 2, unchanged 1, total 4"
    )
    assert AddOnEdit.objects.get(release__label="2026 Q3", add_on_code="11003").deletion_date == date(2026, 6, 30)


def test_xlsx_with_notice_row(tmp_path):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Notice row"])
    sheet.append(HEADER.split(","))
    sheet.append([1, "11001", None, "11000", None, 2024001, None, None])
    sheet.append([2, "11002", None, "CCCCC", None, 2024001.0, 2025365, "Contractor Defined Primary Codes"])
    path = tmp_path / "AOC_V2026Q2-MCR.xlsx"
    workbook.save(path)
    assert import_command(path).startswith("imported addon_edits 2026 Q2: added 2,")
    row = AddOnEdit.objects.get(add_on_code="11002")
    assert (row.effective_date, row.deletion_date) == (date(2024, 1, 1), date(2025, 12, 31))


def test_xlsx_bad_date(tmp_path):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Notice row"])
    sheet.append(HEADER.split(","))
    sheet.append([1, "11001", None, "11000", None, 2024001, None, None])
    sheet.append([1, "11002", None, "11000", None, "2024-01-01", None, None])
    path = tmp_path / "AOC_V2026Q2-MCR.xlsx"
    workbook.save(path)
    with pytest.raises(CommandError, match=r"line 4, field 'AOC_Edit_EffDT': '2024-01-01' is not a date"):
        import_command(path)
    assert_untouched()


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (["1,11001,,11000,,2024001,,", "1,11002,,11000,,2024400,,"], r"line 3, field 'AOC_Edit_EffDT': '2024400'"),
        (["1,11001,,11000,,2024001,2024-12-31,"], r"line 2, field 'AOC_Edit_DelDT'"),
        (["4,11001,,11000,,2024001,,"], r"line 2, field 'AOC_Edit_Type': '4' is not an edit type"),
        (["1,11001,,11000,,2024001"], r"line 2: expected 8 columns, found 6"),
        (["1,110011,,11000,,2024001,,"], r"line 2, field 'Add-On_Code'"),
        (["1,11001,,1100,,2024001,,"], r"line 2, field 'Primary_Code'"),
        (
            ["1,11001,,11000,,2024001,,", "1,11001,,11000,,2024001,,"],
            r"line 3, field 'Add-On_Code': the edit 11001 with 11000 effective 2024-01-01 already appears on line 2",
        ),
    ],
)
def test_malformed_rows(tmp_path, rows, message):
    with pytest.raises(CommandError, match=rf"AOC_V2026Q2-MCR.csv, {message}"):
        import_command(write_aoc(tmp_path, rows))
    assert_untouched()
    assert not ProcedureCode.objects.exists()


def test_empty_file(tmp_path):
    path = tmp_path / "AOC_V2026Q2-MCR.csv"
    path.write_bytes(b"")
    with pytest.raises(CommandError, match="the file is empty"):
        import_command(path)
    assert_untouched()


def test_not_an_aoc_file(tmp_path):
    path = tmp_path / "AOC_V2026Q2-MCR.csv"
    path.write_text("a,b\n1,2\n3,4\n5,6\n7,8\n9,10\n")
    with pytest.raises(CommandError, match="no 'AOC_Edit_Type' header row"):
        import_command(path)
    assert_untouched()


def test_broken_xlsx(tmp_path):
    path = tmp_path / "AOC_V2026Q2-MCR.xlsx"
    path.write_bytes(b"PK\x03\x04 broken")
    with pytest.raises(CommandError, match="not a readable .xlsx workbook"):
        import_command(path)
    assert_untouched()


def test_header_only(tmp_path):
    with pytest.raises(CommandError, match="holds no add-on code rows"):
        import_command(write_aoc(tmp_path, []))
    assert_untouched()
