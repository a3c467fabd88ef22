"""import_ndc_crosswalk: the CMS ASP NDC-HCPCS crosswalk."""

from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from codes.importers.ndc import NDCCrosswalkImporter
from codes.models import NDCCrosswalk, ProcedureCode, Release
from tests.conftest import shared_file

pytestmark = pytest.mark.django_db

REAL = "asp/ASP_Jan2026_NDC_HCPCS_crosswalk_CPTdesc_removed.csv"
PREAMBLE = [
    "April 2026 ASP NDC - HCPCS Crosswalk for Medicare Part B Drugs",
    '"     Effective April 1, 2026 through June 30, 2026"',
    "",
    "A paragraph.",
    "",
    "",
    "",
    "",
]
HEADER = "_2026_CODE,Short Description,LABELER NAME,NDC2,Drug Name,HCPCS dosage,PKG SIZE,PKG QTY,BILLUNITS,BILLUNITSPKG"
FIRST_DATA_LINE = len(PREAMBLE) + 2


def write_ndc(directory, rows, name="ASP_Apr2026_NDC_HCPCS_crosswalk.csv", preamble=PREAMBLE):
    path = directory / name
    path.write_text("\n".join([*preamble, HEADER, *rows, ""]))
    return path


def import_command(path, **options):
    out, err = StringIO(), StringIO()
    call_command("import_ndc_crosswalk", str(path), stdout=out, stderr=err, **options)
    return out.getvalue().strip(), err.getvalue().strip()


def assert_untouched():
    assert not NDCCrosswalk.objects.exists()
    assert not Release.objects.exists()


def test_real_file():
    path = shared_file(REAL)
    out, err = import_command(path)
    # 7,125 rows: 7,124 NDCs and one 12-digit device identifier (J7331), kept as CMS lists it.
    assert out == "imported ndc_crosswalk 2026 January: added 7125, changed 0, terminated 0, unchanged 0, total 7125"
    assert err == ""
    release = Release.objects.get()
    assert (release.source, release.effective_date) == ("ndc_crosswalk", date(2026, 1, 1))
    assert NDCCrosswalk.objects.count() == 7125
    assert NDCCrosswalk.objects.values("ndc").distinct().count() == 6946
    assert NDCCrosswalk.objects.get(ndc="888867413689").code == "J7331"
    row = NDCCrosswalk.objects.get(ndc="13533063603")
    assert (row.code, row.labeler, row.drug_name, row.hcpcs_dosage) == (
        "90371",
        "Grifols USA, LLC",
        "HyperHepB",
        "1 ML",
    )
    assert (row.package_size, row.package_quantity, row.billing_units, row.billing_units_per_package) == (
        Decimal("0.5"),
        Decimal("1"),
        Decimal("0.5"),
        Decimal("1"),
    )
    assert all(
        len(ndc) == 11 and ndc.isdigit()
        for ndc in NDCCrosswalk.objects.exclude(code="J7331").values_list("ndc", flat=True)
    )
    assert ProcedureCode.objects.filter(code="90371").exists()
    out, _ = import_command(path)
    assert out.endswith("unchanged 7125, total 7125")


def test_newer_release_counts(tmp_path):
    import_command(
        write_ndc(
            tmp_path,
            [
                "J3301,,Lab A,12345-6789-01,Drug,10 MG,1,1,4,4",
                "J3301,,Lab A,12345-6789-02,Drug,10 MG,5,1,20,20",
                "J9264,,Lab B,22222-3333-44,Other,1 MG,1,1,100,100",
            ],
            name="ASP_Jan2026_NDC.csv",
            preamble=["Title"],
        )
    )
    out, _ = import_command(
        write_ndc(
            tmp_path,
            [
                "J3301,,Lab A,12345-6789-01,Drug,10 MG,1,1,4,4",
                "J3301,,Lab A,12345-6789-02,Drug,10 MG,5,1,25,25",
                "J1100,,Lab C,33333-4444-55,New,1 MG,1,1,1,1",
            ],
        )
    )
    assert out == "imported ndc_crosswalk 2026 April: added 1, changed 1, terminated 1, unchanged 1, total 3"
    assert NDCCrosswalk.objects.get(release__label="2026 April", ndc="12345678902").billing_units == Decimal("25")


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (
            ["J3301,,Lab,12345-6789-01,D,10 MG,1,1,4,4", "J3301,,Lab,1234-5678-90,D,10 MG,1,1,4,4"],
            rf"line {FIRST_DATA_LINE + 1}, field 'NDC2': '1234-5678-90' is not an NDC in 5-4-2 form",
        ),
        (
            ["J3301,,Lab,12345678901,D,10 MG,1,1,4,4"],
            rf"line {FIRST_DATA_LINE}, field 'NDC2': '12345678901' is not an NDC",
        ),
        (
            ["J3301,,Lab,12345-6789-01,D,10 MG,one,1,4,4"],
            rf"line {FIRST_DATA_LINE}, field 'PKG SIZE': 'one' is not a number",
        ),
        (["J3301,,Lab,12345-6789-01,D,10 MG,1,1,4"], rf"line {FIRST_DATA_LINE}: expected 10 columns, found 9"),
        (["J330,,Lab,12345-6789-01,D,10 MG,1,1,4,4"], rf"line {FIRST_DATA_LINE}, field '_2026_CODE'"),
        (
            ["J3301,,Lab,12345-6789-01,D,10 MG,1,1,4,4", "J3301,,Lab,12345-6789-01,D,10 MG,1,1,4,4"],
            rf"line {FIRST_DATA_LINE + 1}, field 'NDC2': NDC 12345-6789-01 with code J3301 appears twice",
        ),
    ],
)
def test_malformed_rows(tmp_path, rows, message):
    with pytest.raises(CommandError, match=rf"ASP_Apr2026_NDC_HCPCS_crosswalk.csv, {message}"):
        import_command(write_ndc(tmp_path, rows))
    assert_untouched()


def test_empty_file(tmp_path):
    path = tmp_path / "ASP_Apr2026_NDC.csv"
    path.write_bytes(b"   \n")
    with pytest.raises(CommandError, match="the file is empty"):
        import_command(path)
    assert_untouched()


def test_no_header(tmp_path):
    path = tmp_path / "ASP_Apr2026_NDC.csv"
    path.write_text("Title\nJ3301,,Lab,12345-6789-01\n")
    with pytest.raises(CommandError, match="no header row starting with '_<year>_CODE'"):
        import_command(path)
    assert_untouched()


def test_device_identifier_rows_are_kept(tmp_path):
    path = write_ndc(
        tmp_path, ["J7331,,Lab,888867413689,Device,1 MG,2,3,20,60", "J3301,,Lab,12345-6789-01,D,10 MG,1,1,4,4"]
    )
    NDCCrosswalkImporter(path).run()
    assert sorted(NDCCrosswalk.objects.values_list("ndc", "code")) == [
        ("12345678901", "J3301"),
        ("888867413689", "J7331"),
    ]
