"""import_hcpcs: the CMS HCPCS Level II file (.txt fixed-width and .xlsx) into procedure codes and modifiers."""

from datetime import date
from decimal import Decimal

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from codes.choices import CodeSystem, DrugRoute, ModifierKind, NCCIModifierGroup, Source
from codes.importers.base import ImportFileError
from codes.importers.hcpcs import HCPCSImporter, drug_facts, release_from_name
from codes.models import Modifier, ProcedureCode, Release
from tests.conftest import shared_file

pytestmark = pytest.mark.django_db

TXT = "hcpcs_level2/HCPC2026_JAN_ANWEB_01122026.txt"
XLSX = "hcpcs_level2/HCPC2026_JAN_ANWEB_01122026.xlsx"


def run_command(*args) -> list[str]:
    from io import StringIO

    out = StringIO()
    call_command("import_hcpcs", *map(str, args), stdout=out)
    return out.getvalue().splitlines()


# --- hand-made files in the real fixed-width layout -----------------------------------------------------
def place(line: list[str], first: int, text: str) -> None:
    line[first - 1 : first - 1 + len(text)] = list(text)


def record(code, long, short="", *, ric="3", seq="00100", price="51", cov="D", betos="O1E", tos="1P",
           added="20000101", effective="20000101", term="", action="N") -> str:  # fmt: skip
    line = [" "] * 320
    place(line, 1, code.rjust(5) if len(code) == 2 else code)
    place(line, 6, seq)
    place(line, 11, ric)
    place(line, 12, long[:80])
    if ric in "37":
        place(line, 92, short[:28])
        place(line, 120, price)
        place(line, 230, cov)
        place(line, 257, betos)
        place(line, 261, tos)
        place(line, 269, added)
        place(line, 277, effective)
        place(line, 285, term)
        place(line, 293, action)
    return "".join(line)


def write_txt(path, lines) -> str:
    path.write_bytes(("\r\n".join(lines) + "\r\n" + " " * 20 + "\r\n").encode("ascii"))
    return str(path)


JAN = [
    record("J1100", "Injection, dexamethasone sodium phosphate, 1 mg", "Dexamethasone sodium phos"),
    record("J3490", "Unclassified drugs", "Drugs unclassified injection"),
    record("A4206", "Syringe with needle, sterile, 1 cc or less, each", "1 cc sterile syringe&needle", cov="M"),
    record(
        "E0100", "Cane, includes canes of all materials, adjustable or fixed, with tip", "Cane adjust/fixed with tip"
    ),
    record(
        "GA",
        "Waiver of liability statement issued as required by payer policy, individual case",
        "Liability waiver ind case",
        ric="7",
        price="",
        cov="",
        betos="",
        tos="",
        added="19950101",
    ),  # fmt: skip
    record(
        "GZ",
        "Item or service expected to be denied as not reasonable and necessary",
        "Not reasonable necessary",
        ric="7",
        price="",
        cov="",
        betos="",
        tos="",
        added="20020101",
    ),  # fmt: skip
]


@pytest.fixture
def january(tmp_path):
    return write_txt(tmp_path / "HCPC2026_JAN_ANWEB_test.txt", JAN)


def snapshot():
    return (
        list(ProcedureCode.objects.order_by("code").values_list()),
        list(Modifier.objects.order_by("code").values_list()),
        list(Release.objects.order_by("id").values_list("source", "label", "sha256", "total")),
    )


# --- release naming --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "label", "effective"),
    [
        ("HCPC2026_JAN_ANWEB_01122026.txt", "2026 January", date(2026, 1, 1)),
        ("HCPC2026_JAN_ANWEB_01122026.xlsx", "2026 January", date(2026, 1, 1)),
        ("HCPC2025_APR_ANWEB.txt", "2025 April", date(2025, 4, 1)),
        ("hcpc2025_jul_anweb_v2.xlsx", "2025 July", date(2025, 7, 1)),
        ("HCPC2025_OCT_ANWEB.txt", "2025 October", date(2025, 10, 1)),
    ],
)
def test_release_from_name(name, label, effective):
    assert release_from_name(name) == (label, effective)


def test_unknown_file_name_asks_for_release(tmp_path):
    path = write_txt(tmp_path / "codes.txt", JAN)
    with pytest.raises(CommandError, match=r"codes.txt: cannot tell the release.*--release and --effective-date"):
        run_command(path)
    assert run_command(path, "--release", "2026 January", "--effective-date", "2026-01-01")[0].startswith(
        "imported procedure_codes 2026 January: added 4,"
    )


# --- the real January 2026 file ----------------------------------------------------------------------------
def test_real_txt_exact_counts_and_values():
    path = shared_file(TXT)
    assert run_command(path) == [
        "imported procedure_codes 2026 January: added 8623, changed 0, terminated 0, unchanged 0, total 8623",
        "imported modifiers 2026 January: added 383, changed 0, terminated 0, unchanged 0, total 383",
    ]
    assert ProcedureCode.objects.count() == 8623
    assert Modifier.objects.count() == 383
    assert ProcedureCode.objects.filter(termination_date__isnull=True).count() == 7323
    assert ProcedureCode.objects.filter(code__startswith="J").count() == 1209
    release = Release.objects.get(source=Source.HCPCS)
    assert (release.label, release.effective_date, release.file_name) == (
        "2026 January",
        date(2026, 1, 1),
        "HCPC2026_JAN_ANWEB_01122026.txt",
    )

    j1100 = ProcedureCode.objects.get(code="J1100")
    assert j1100.system == CodeSystem.HCPCS and j1100.hcpcs_section == "J"
    assert j1100.long_description == "Injection, dexamethasone sodium phosphate, 1 mg"
    assert j1100.short_description == "Dexamethasone sodium phos"
    assert (j1100.is_drug, j1100.drug_dose_amount, j1100.drug_dose_unit) == (True, Decimal("1"), "mg")
    assert j1100.drug_route == DrugRoute.INJECTION and not j1100.is_unlisted
    assert (j1100.added_date, j1100.action_effective_date, j1100.termination_date) == (
        date(1982, 1, 1),
        date(2001, 1, 1),
        None,
    )
    assert (j1100.action_code, j1100.coverage_code, j1100.pricing_indicators) == ("N", "D", "51")
    assert (j1100.betos, j1100.type_of_service, j1100.origin, j1100.release) == ("O1E", "1P", "hcpcs_file", release)

    j8499 = ProcedureCode.objects.get(code="J8499")
    assert (j8499.is_drug, j8499.drug_route, j8499.is_unlisted, j8499.coverage_code) == (True, "oral", True, "M")
    j3490 = ProcedureCode.objects.get(code="J3490")
    assert (j3490.is_drug, j3490.is_unlisted, j3490.drug_dose_amount) == (True, True, None)
    j3301 = ProcedureCode.objects.get(code="J3301")
    assert (j3301.drug_dose_amount, j3301.drug_dose_unit) == (Decimal("10"), "mg")
    j0585 = ProcedureCode.objects.get(code="J0585")
    assert (j0585.drug_dose_amount, j0585.drug_dose_unit) == (Decimal("1"), "unit")
    assert ProcedureCode.objects.get(code="Q5101").is_drug  # a biosimilar
    assert ProcedureCode.objects.get(code="Q0162").drug_route == DrugRoute.ORAL
    assert not ProcedureCode.objects.get(code="E0100").is_drug
    assert ProcedureCode.objects.get(code="G9871").long_description.startswith("Behavioral counseling")  # long record
    c9248 = ProcedureCode.objects.get(code="C9248")  # terminated in the file
    assert c9248.termination_date == date(2025, 9, 30) and c9248.action_effective_date == date(2025, 10, 1)
    # a description joined across continuation lines
    k2 = Modifier.objects.get(code="K2")
    assert k2.description.startswith("Lower extremity prosthesis functional level 2 - has the ability or potential for")
    assert k2.description.endswith("typical of the limited community ambulator.")
    ga = Modifier.objects.get(code="GA")
    assert (ga.kind, ga.short_description, ga.effective_date, ga.termination_date) == (
        ModifierKind.HCPCS,
        "Liability waiver ind case",
        date(1995, 1, 1),
        None,
    )
    assert ga.description == "Waiver of liability statement issued as required by payer policy, individual case"
    assert Modifier.objects.filter(termination_date__isnull=True).count() == 363

    # the same file again changes nothing
    before = snapshot()
    assert run_command(path) == [
        "imported procedure_codes 2026 January: added 0, changed 0, terminated 0, unchanged 8623, total 8623",
        "imported modifiers 2026 January: added 0, changed 0, terminated 0, unchanged 383, total 383",
    ]
    assert snapshot() == before


def test_real_xlsx_exact_counts_and_same_rows_as_txt():
    xlsx = shared_file(XLSX)
    assert run_command(xlsx) == [
        "imported procedure_codes 2026 January: added 8623, changed 0, terminated 0, unchanged 0, total 8623",
        "imported modifiers 2026 January: added 383, changed 0, terminated 0, unchanged 0, total 383",
    ]
    j1100 = ProcedureCode.objects.get(code="J1100")
    assert (j1100.drug_dose_amount, j1100.drug_route, j1100.long_description) == (
        Decimal("1"),
        "injection",
        "Injection, dexamethasone sodium phosphate, 1 mg",
    )
    # The .txt of the same release differs only where the spreadsheet differs: ACT EFF DT blank in 117 rows
    # and one extra pricing indicator (C9248 PRICE3 = 11, blank in the .txt).
    assert run_command(shared_file(TXT)) == [
        "imported procedure_codes 2026 January: added 0, changed 118, terminated 0, unchanged 8505, total 8623",
        "imported modifiers 2026 January: added 0, changed 0, terminated 0, unchanged 383, total 383",
    ]
    assert Release.objects.filter(source=Source.HCPCS).count() == 1


# --- a newer release --------------------------------------------------------------------------------------
def test_newer_release_updates_adds_and_terminates(tmp_path, january):
    ProcedureCode.objects.create(code="J1100", system=CodeSystem.HCPCS, label="Dexamethasone shot", origin="starter")
    Modifier.objects.create(code="GA", kind=ModifierKind.HCPCS, ncci_group=NCCIModifierGroup.OTHER)
    assert run_command(january) == [
        "imported procedure_codes 2026 January: added 3, changed 1, terminated 0, unchanged 0, total 4",
        "imported modifiers 2026 January: added 1, changed 1, terminated 0, unchanged 0, total 2",
    ]
    april = [
        record(
            "J1100",
            "Injection, dexamethasone sodium phosphate, 1 mg, revised",
            "Dexamethasone sodium phos",
            action="C",
            effective="20260401",
        ),  # fmt: skip
        record("J3490", "Unclassified drugs", "Drugs unclassified injection", term="20260331", action="D"),
        JAN[3],
        record(
            "J9999",
            "Not otherwise classified, antineoplastic drugs",
            "Antineoplastic drugs; noc",
            added="20260401",
            effective="20260401",
            action="A",
        ),  # fmt: skip
        JAN[4],
    ]
    path = write_txt(tmp_path / "HCPC2026_APR_ANWEB_test.txt", april)
    assert run_command(path) == [
        "imported procedure_codes 2026 April: added 1, changed 1, terminated 2, unchanged 1, total 4",
        "imported modifiers 2026 April: added 0, changed 0, terminated 1, unchanged 1, total 1",
    ]
    j1100 = ProcedureCode.objects.get(code="J1100")
    assert j1100.long_description.endswith("revised") and j1100.label == "Dexamethasone shot"
    assert j1100.action_effective_date == date(2026, 4, 1) and j1100.release.label == "2026 April"
    assert ProcedureCode.objects.get(code="J3490").termination_date == date(2026, 3, 31)
    gone = ProcedureCode.objects.get(code="A4206")  # missing from the April file
    assert gone.termination_date == date(2026, 3, 31) and gone.release.label == "2026 January"
    assert ProcedureCode.objects.get(code="J9999").is_unlisted
    assert Modifier.objects.get(code="GZ").termination_date == date(2026, 3, 31)
    assert Modifier.objects.get(code="GA").ncci_group == NCCIModifierGroup.OTHER  # kept
    april_release = Release.objects.get(source=Source.HCPCS, label="2026 April")
    assert (april_release.added, april_release.changed, april_release.terminated, april_release.total) == (1, 1, 2, 4)


def test_dry_run_changes_nothing(january):
    lines = run_command(january, "--dry-run")
    assert (
        lines[0]
        == "[dry run] imported procedure_codes 2026 January: added 4, changed 0, terminated 0, unchanged 0, total 4"
    )
    assert ProcedureCode.objects.count() == 0 and Release.objects.count() == 0


def test_drug_facts_non_drug_has_no_dose():
    assert drug_facts("A4206", "Syringe with needle, sterile, 1 cc or less, each") == {
        "is_drug": False,
        "drug_dose_amount": None,
        "drug_dose_unit": "",
        "drug_route": "",
    }
    assert drug_facts("C9399", "Unclassified drugs or biologicals")["is_drug"] is True


# --- malformed files leave the database as it was ------------------------------------------------------------
@pytest.fixture
def loaded(january):
    run_command(january)
    return snapshot()


def expect_error(path, pattern):
    with pytest.raises(ImportFileError, match=pattern):
        HCPCSImporter(path).run()


def test_empty_file(tmp_path, loaded):
    path = tmp_path / "HCPC2026_APR_ANWEB.txt"
    path.write_bytes(b"")
    expect_error(path, r"^HCPC2026_APR_ANWEB.txt: the file is empty$")
    path.write_bytes(b"   \r\n\r\n")
    expect_error(path, r"^HCPC2026_APR_ANWEB.txt: the file is empty$")
    assert snapshot() == loaded


def test_truncated_record(tmp_path, loaded):
    lines = list(JAN)
    lines[2] = lines[2][:200]
    path = write_txt(tmp_path / "HCPC2026_APR_ANWEB.txt", lines)
    expect_error(
        path,
        r"^HCPC2026_APR_ANWEB.txt, line 3, field 'coverage code': the record of A4206 ends at column 200",
    )
    assert snapshot() == loaded


def test_bad_date_names_line_and_field(tmp_path, loaded):
    lines = list(JAN)
    lines[1] = record("J3490", "Unclassified drugs", "Drugs unclassified injection", added="20261340")
    path = write_txt(tmp_path / "HCPC2026_APR_ANWEB.txt", lines)
    expect_error(path, r"^HCPC2026_APR_ANWEB.txt, line 2, field 'code added date': '20261340' is not a date")
    assert snapshot() == loaded


def test_non_ascii_byte(tmp_path, loaded):
    path = tmp_path / "HCPC2026_APR_ANWEB.txt"
    write_txt(path, JAN)
    data = bytearray(path.read_bytes())
    data[322 + 20] = 0xE9  # line 2, column 21: inside the long description
    path.write_bytes(bytes(data))
    expect_error(
        path, r"^HCPC2026_APR_ANWEB.txt, line 2, field 'long description': byte 0xe9 at column 21 is not ASCII"
    )
    assert snapshot() == loaded


def test_binary_file(tmp_path, loaded):
    path = tmp_path / "HCPC2026_APR_ANWEB.txt"
    path.write_bytes(b"\x00\x01\x02binary\x00" * 50)
    expect_error(path, r"^HCPC2026_APR_ANWEB.txt, line 1: the line holds binary data")
    path.write_bytes(bytes(range(256)) * 4)
    expect_error(path, r"^HCPC2026_APR_ANWEB.txt, line \d+, .*is not ASCII")
    assert snapshot() == loaded


def test_unknown_record_type_and_bad_code(tmp_path, loaded):
    lines = list(JAN)
    lines[1] = lines[1][:10] + "5" + lines[1][11:]
    path = tmp_path / "HCPC2026_APR_ANWEB.txt"
    write_txt(path, lines)
    expect_error(path, r"line 2, field 'record identification code': record identification code '5'")
    lines = list(JAN)
    lines[0] = "X1100" + lines[0][5:]
    write_txt(path, lines)
    expect_error(path, r"line 1, field 'HCPCS code': 'X1100' is not a HCPCS code")
    lines = list(JAN)
    lines.insert(1, record("J9999", "continued text", ric="4"))
    write_txt(path, lines)
    expect_error(path, r"line 2, field 'HCPCS code': continuation line \(RIC 4\) for J9999 follows the record of J1100")
    assert snapshot() == loaded


def test_error_through_the_command_says_nothing_was_imported(tmp_path, loaded):
    lines = list(JAN)
    lines[3] = record("E0100", "Cane", "Cane", term="2026-3-31")
    path = write_txt(tmp_path / "HCPC2026_APR_ANWEB.txt", lines)
    with pytest.raises(CommandError, match=r"line 4, field 'termination date': .*\(nothing was imported\)"):
        run_command(path)
    assert snapshot() == loaded


def write_xlsx(path, rows) -> str:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return str(path)


HEADER = ["HCPC", "SEQNUM", "RECID", "LONG DESCRIPTION", "SHORT DESCRIPTION", "PRICE1", "PRICE2", "PRICE3",
          "PRICE4", "COV", "BETOS", "TOS1", "TOS2", "TOS3", "TOS4", "TOS5", "ADD DT", "ACT EFF DT", "TERM DT",
          "ACTION CD"]  # fmt: skip


def xlsx_row(code, recid, long, short, added, term=None):
    return [code, "0010", recid, long, short, "51", None, None, None, "D", "O1E", "1", "P", None, None, None,
            added, added, term, "N"]  # fmt: skip


def test_small_xlsx_loads_and_bad_cells_are_located(tmp_path):
    path = write_xlsx(
        tmp_path / "HCPC2026_JAN_small.xlsx",
        [
            HEADER,
            xlsx_row("J1100", "3", "Injection, dexamethasone sodium phosphate, 1 mg", "Dexamethasone", 19820101),
            xlsx_row("   GA", "7", "Waiver of liability statement", "Liability waiver", "19950101"),
        ],
    )
    assert (
        run_command(path)[0]
        == "imported procedure_codes 2026 January: added 1, changed 0, terminated 0, unchanged 0, total 1"
    )
    assert ProcedureCode.objects.get(code="J1100").added_date == date(1982, 1, 1)  # numeric cell
    assert Modifier.objects.get(code="GA").effective_date == date(1995, 1, 1)
    before = snapshot()

    bad = write_xlsx(
        tmp_path / "HCPC2026_APR_small.xlsx",
        [HEADER, xlsx_row("J1100", "3", "Injection", "Inj", "19820101", term="2026X331")],
    )
    expect_error(bad, r"^HCPC2026_APR_small.xlsx, line 2, field 'TERM DT': '2026X331' is not a date")
    missing = write_xlsx(tmp_path / "HCPC2026_APR_cols.xlsx", [HEADER[:10], ["J1100"] * 10])
    expect_error(missing, r"line 1, field 'BETOS': the header row lacks the column\(s\) BETOS")
    broken = tmp_path / "HCPC2026_APR_broken.xlsx"
    broken.write_bytes(b"this is not a workbook")
    expect_error(broken, r"^HCPC2026_APR_broken.xlsx: not a readable .xlsx workbook")
    assert snapshot() == before
