"""import_cpt: a licensed CPT CSV. Descriptors here are invented placeholders, never AMA text."""

from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from codes.choices import CodeOrigin, CodeSystem, CPTCategory, Source
from codes.importers.base import ImportFileError
from codes.importers.cpt import CPTImporter
from codes.models import ProcedureCode, Release

pytestmark = pytest.mark.django_db

CSV = (
    "code,long_descriptor,medium_descriptor,short_descriptor\n"
    '99213,"Placeholder long text A, for tests",Placeholder medium A,Placeholder short A\n'
    "17999,Unlisted placeholder procedure text,Unlisted placeholder,Unlisted placeholder\n"
    "0001F,Placeholder quality text B,Placeholder medium B,Placeholder short B\n"
    "0591T,Placeholder emerging text C,,Placeholder short C\n"
)


def run_command(*args) -> list[str]:
    out = StringIO()
    call_command("import_cpt", *map(str, args), stdout=out)
    return out.getvalue().splitlines()


def write(path, text, encoding="utf-8"):
    path.write_bytes(text.encode(encoding))
    return path


def snapshot():
    return list(ProcedureCode.objects.order_by("code").values_list()), list(Release.objects.values_list())


def test_import_licensed_csv(tmp_path):
    ProcedureCode.objects.create(
        code="99213", system=CodeSystem.CPT, label="Office visit, established", origin="starter"
    )
    path = write(tmp_path / "cpt_2026.csv", CSV)
    assert run_command(path) == [
        "imported procedure_codes cpt_2026: added 3, changed 1, terminated 0, unchanged 0, total 4"
    ]
    release = Release.objects.get(source=Source.CPT)
    assert (release.label, release.effective_date) == ("cpt_2026", date(2026, 1, 1))
    visit = ProcedureCode.objects.get(code="99213")
    assert visit.label == "Office visit, established"  # our own label is kept
    assert (visit.system, visit.cpt_category, visit.section) == (
        CodeSystem.CPT,
        CPTCategory.I,
        "Evaluation and Management",
    )
    assert (visit.long_description, visit.short_description) == (
        "Placeholder long text A, for tests",
        "Placeholder short A",
    )
    assert (visit.origin, visit.release, visit.is_unlisted) == (CodeOrigin.CPT_FILE, release, False)
    assert ProcedureCode.objects.get(code="17999").is_unlisted
    assert ProcedureCode.objects.get(code="0001F").cpt_category == CPTCategory.II
    assert ProcedureCode.objects.get(code="0591T").short_description == "Placeholder short C"
    # again: nothing changes
    before = snapshot()
    assert run_command(path) == [
        "imported procedure_codes cpt_2026: added 0, changed 0, terminated 0, unchanged 4, total 4"
    ]
    assert snapshot() == before


def test_ama_style_headers_and_newer_release(tmp_path):
    write(tmp_path / "cpt_2026.csv", CSV)
    run_command(tmp_path / "cpt_2026.csv")
    newer = write(
        tmp_path / "licensed.csv",
        "CPT Code,Long Descriptor,Short Descriptor,Extra\n"
        "99213,Placeholder long text A revised,Placeholder short A,x\n"
        "17999,Unlisted placeholder procedure text,Unlisted placeholder,x\n"
        "0001F,Placeholder quality text B,Placeholder short B,x\n"
        "99214,Placeholder long text D,Placeholder short D,x\n",
    )
    assert run_command(newer, "--release", "CPT 2027", "--effective-date", "2027-01-01") == [
        "imported procedure_codes CPT 2027: added 1, changed 1, terminated 1, unchanged 2, total 4"
    ]
    assert ProcedureCode.objects.get(code="0591T").termination_date == date(2026, 12, 31)
    assert ProcedureCode.objects.get(code="99213").long_description == "Placeholder long text A revised"


def test_only_a_short_descriptor_column(tmp_path):
    path = write(tmp_path / "cpt 2025 short.csv", "Code,Short_Descriptor\n99213,Placeholder short A\n")
    assert (
        run_command(path)[0]
        == "imported procedure_codes cpt 2025 short: added 1, changed 0, terminated 0, unchanged 0, total 1"
    )
    code = ProcedureCode.objects.get(code="99213")
    assert (code.long_description, code.short_description) == ("Placeholder short A", "Placeholder short A")


def test_no_year_needs_effective_date(tmp_path):
    path = write(tmp_path / "licensed.csv", CSV)
    with pytest.raises(CommandError, match=r"licensed.csv: .*give --effective-date"):
        run_command(path)
    assert run_command(path, "--effective-date", "2026-01-01")[0].startswith(
        "imported procedure_codes licensed: added 4"
    )


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ("", r"^cpt_2026.csv: the file is empty$"),
        ("descriptor,short_descriptor\nx,y\n", r"^cpt_2026.csv, line 1, field 'code': the header has no 'code' column"),
        ("code,price\n99213,1\n", r"^cpt_2026.csv, line 1, field 'long_descriptor': the header has no descriptor"),
        (
            "code,long_descriptor,short_descriptor\n99213,Placeholder\n",
            r"line 2, field 'short_descriptor': the row has 2 fields",
        ),
        (
            "code,long_descriptor\n99213,Placeholder\nJ1100,Placeholder\n",
            r"line 3, field 'code': J1100 is a HCPCS Level II",
        ),
        ("code,long_descriptor\n9921,Placeholder\n", r"line 2, field 'code': 9921 has 4 characters"),
        ("code,long_descriptor\n99213,Placeholder\n99213,Again\n", r"line 3, field 'code': 99213 appears twice"),
        ("code,long_descriptor\n99213,\n", r"line 2, field 'long_descriptor': 99213 has no descriptor"),
        ("code,long_descriptor\n", r"header row but no codes"),
    ],
)
def test_malformed_files_leave_database_untouched(tmp_path, text, pattern):
    write(tmp_path / "cpt_2025.csv", CSV)
    CPTImporter(tmp_path / "cpt_2025.csv").run()
    before = snapshot()
    path = write(tmp_path / "cpt_2026.csv", text)
    with pytest.raises(ImportFileError, match=pattern):
        CPTImporter(path).run()
    assert snapshot() == before


def test_undecodable_bytes(tmp_path):
    path = tmp_path / "cpt_2026.csv"
    path.write_bytes(b"code,long_descriptor\n99213,\x81\x8d\x8f\x90\n")
    with pytest.raises(ImportFileError, match=r"not in the expected text encoding"):
        CPTImporter(path).run()
    assert ProcedureCode.objects.count() == 0
