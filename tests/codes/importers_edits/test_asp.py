"""import_asp: the CMS ASP payment limit file."""

from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from codes.importers.asp import parse_dosage
from codes.models import ASPLimit, ProcedureCode, Release
from tests.conftest import shared_file

pytestmark = pytest.mark.django_db

REAL = "asp/ASP_Jan2026_payment_limits_CPTdesc_removed.csv"
PREAMBLE = [
    "Payment Allowance Limits for Medicare Part B Drugs",
    "",
    '"Effective April 1, 2026 through June 30, 2026"',
    "",
    "Note 1: a note.",
    "Note 2: another note.",
    "",
    "",
]
HEADER = (
    "HCPCS Code,Short Description,HCPCS Code Dosage,Payment Limit,Co-insurance Percentage,Vaccine AWP%,"
    "Vaccine Limit,Blood AWP%,Blood limit,Clotting Factor,Notes"
)
FIRST_DATA_LINE = len(PREAMBLE) + 2


def write_asp(directory, rows, name="ASP_Apr2026_payment_limits.csv", preamble=PREAMBLE):
    path = directory / name
    path.write_text("\n".join([*preamble, HEADER, *rows, ""]))
    return path


def import_command(path, **options):
    out = StringIO()
    call_command("import_asp", str(path), stdout=out, **options)
    return out.getvalue().strip()


def assert_untouched():
    assert not ASPLimit.objects.exists()
    assert not Release.objects.exists()


def test_real_file():
    path = shared_file(REAL)
    assert import_command(path) == (
        "imported asp_limits 2026 January: added 877, changed 0, terminated 0, unchanged 0, total 877"
    )
    release = Release.objects.get()
    assert (release.source, release.effective_date) == ("asp", date(2026, 1, 1))
    assert ASPLimit.objects.count() == 877
    triamcinolone = ASPLimit.objects.get(code="J3301")
    assert triamcinolone.dosage == "10 MG"
    assert (triamcinolone.dosage_amount, triamcinolone.dosage_unit) == (Decimal("10"), "MG")
    assert triamcinolone.payment_limit == Decimal("0.741")
    assert triamcinolone.coinsurance_percent == Decimal("20")
    botox = ASPLimit.objects.get(code="J0585")
    assert (botox.dosage_amount, botox.dosage_unit, botox.payment_limit) == (Decimal("1"), "UNIT", Decimal("6.51"))
    assert ASPLimit.objects.get(code="A9606").payment_limit is None  # N/A
    therapy_days = ASPLimit.objects.get(code="J0577")
    assert therapy_days.dosage == "Less than or equal to 7 days of therapy"
    assert (therapy_days.dosage_amount, therapy_days.dosage_unit) == (None, "")
    assert ProcedureCode.objects.filter(code="90371").exists()
    assert import_command(path).endswith("unchanged 877, total 877")
    assert ASPLimit.objects.count() == 877


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("10 MG", (Decimal("10"), "MG")),
        (".625 GM", (Decimal("0.625"), "GM")),
        ("1,000 UNITS", (Decimal("1000"), "UNITS")),
        ("1 SQ CM", (Decimal("1"), "SQ CM")),
        ("0.1MG", (Decimal("0.1"), "MG")),
        ("150 IU", (Decimal("150"), "IU")),
        ("UP TO 1 GM", (None, "")),
        ("5 MG - 10 MG", (None, "")),
        ("PER VIAL", (None, "")),
    ],
)
def test_parse_dosage(text, parsed):
    assert parse_dosage(text) == parsed


def test_release_from_preamble_and_counts(tmp_path):
    first = write_asp(
        tmp_path,
        [
            "J3301,Triamcinolone,10 MG,0.741,20.000,,,,,,",
            "J9264,x,1 MG,8.184,20.000,,,,,,",
            "J0585,y,1 UNIT,6.510,20,,,,,,",
        ],
        name="ASP_Jan2026.csv",
        preamble=["Title", '"Effective January 1, 2026 through March 31, 2026"', *PREAMBLE[2:]],
    )
    import_command(first)
    newer = write_asp(
        tmp_path,
        [
            "J3301,Triamcinolone,10 MG,0.741,20.000,,,,,,",
            "J9264,x,1 MG,8.500,20.000,,,,,,",
            "J1100,z,1 MG,0.1,20,,,,,,",
        ],
    )
    assert import_command(newer) == (
        "imported asp_limits 2026 April: added 1, changed 1, terminated 1, unchanged 1, total 3"
    )
    assert Release.objects.get(label="2026 April").effective_date == date(2026, 4, 1)


def test_release_from_file_name(tmp_path):
    path = write_asp(tmp_path, ["J3301,x,10 MG,0.741,20.000,,,,,,"], name="ASP_Oct2025_limits.csv", preamble=["Title"])
    import_command(path)
    release = Release.objects.get()
    assert (release.label, release.effective_date) == ("2025 October", date(2025, 10, 1))


def test_no_release_anywhere(tmp_path):
    path = write_asp(tmp_path, ["J3301,x,10 MG,0.741,20.000,,,,,,"], name="limits.csv", preamble=["Title"])
    with pytest.raises(CommandError, match="pass --release and --effective-date"):
        import_command(path)
    assert_untouched()


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (
            ["J3301,x,10 MG,0.741,20.000,,,,,,", "J9264,x,1 MG,abc,20.000,,,,,,"],
            rf"line {FIRST_DATA_LINE + 1}, field 'Payment Limit': 'abc' is not a number",
        ),
        (["J3301,x,10 MG,0.741,120,,,,,,"], rf"line {FIRST_DATA_LINE}, field 'Co-insurance Percentage'"),
        (["J3301,x,10 MG,-1,20,,,,,,"], rf"line {FIRST_DATA_LINE}, field 'Payment Limit': '-1' is not a positive"),
        (["J33011,x,10 MG,0.741,20.000,,,,,,"], rf"line {FIRST_DATA_LINE}, field 'HCPCS Code'"),
        (["J3301,x,10 MG,0.741"], rf"line {FIRST_DATA_LINE}: expected 11 columns, found 4"),
        (
            ["J3301,x,10 MG,1,20,,,,,,", "J3301,x,10 MG,1,20,,,,,,"],
            rf"line {FIRST_DATA_LINE + 1}, field 'HCPCS Code': code J3301 appears twice",
        ),
    ],
)
def test_malformed_rows(tmp_path, rows, message):
    with pytest.raises(CommandError, match=rf"ASP_Apr2026_payment_limits.csv, {message}"):
        import_command(write_asp(tmp_path, rows))
    assert_untouched()
    assert not ProcedureCode.objects.exists()


def test_empty_file(tmp_path):
    path = tmp_path / "ASP_Apr2026.csv"
    path.write_bytes(b"")
    with pytest.raises(CommandError, match="the file is empty"):
        import_command(path)
    assert_untouched()


def test_no_header(tmp_path):
    path = tmp_path / "ASP_Apr2026.csv"
    path.write_text("Title\nJ3301,x,10 MG\n")
    with pytest.raises(CommandError, match="no header row starting with 'HCPCS Code'"):
        import_command(path)
    assert_untouched()


def test_wrong_encoding(tmp_path):
    path = write_asp(tmp_path, ["J3301,x,10 MG,0.741,20.000,,,,,,"])
    path.write_bytes(path.read_bytes() + b"J9264,\x81\x8d,1 MG,1,20,,,,,,\n")
    with pytest.raises(CommandError, match="not in the expected text encoding"):
        import_command(path)
    assert_untouched()
