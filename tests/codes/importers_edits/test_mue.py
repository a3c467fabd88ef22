"""import_mue: the three CMS MUE tables."""

from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from codes.choices import Source
from codes.importers.mue import MUEImporter, quarter_label
from codes.models import MUELimit, ProcedureCode, Release
from tests.conftest import shared_file

pytestmark = pytest.mark.django_db

REAL = [
    ("ncci_mue/MCR_MUE_PractitionerServices_Eff_04-01-2026.csv", "practitioner", 15095, {3: 9637, 2: 5417, 1: 41}),
    (
        "ncci_mue/MCR_MUE_OutpatientHospitalServices_Eff_04-01-2026.csv",
        "outpatient_hospital",
        15045,
        {3: 8928, 2: 6075, 1: 42},
    ),
    ("ncci_mue/MCR_MUE_DMESupplierServices_Eff_04-01-2026.csv", "dme", 3083, {3: 1751, 2: 1309, 1: 23}),
]
NOTICE = '"Notice line one.\r\n\r\nNotice line two.",,,'
HEADER = '"HCPCS/\r\nCPT Code",Practitioner Services MUE Values,MUE Adjudication Indicator,MUE Rationale'


def write_mue(directory, rows, *, name="MCR_MUE_PractitionerServices_Eff_04-01-2026.csv", header=HEADER):
    path = directory / name
    path.write_bytes("\r\n".join([NOTICE, header, *rows, ""]).encode("cp1252"))
    return path


def import_command(path, service_type="practitioner", **options):
    out = StringIO()
    call_command("import_mue", str(path), service_type=service_type, stdout=out, **options)
    return out.getvalue().strip()


def assert_untouched():
    assert not MUELimit.objects.exists()
    assert not Release.objects.exists()


@pytest.mark.parametrize(("relative", "service_type", "count", "by_indicator"), REAL)
def test_real_files(relative, service_type, count, by_indicator):
    path = shared_file(relative)
    assert import_command(path, service_type) == (
        f"imported mue_limits 2026 Q2: added {count}, changed 0, terminated 0, unchanged 0, total {count}"
    )
    release = Release.objects.get()
    assert release.source == f"mue_{service_type}"
    assert release.effective_date == date(2026, 4, 1)
    assert MUELimit.objects.filter(release=release, service_type=service_type).count() == count
    for indicator, expected in by_indicator.items():
        assert MUELimit.objects.filter(adjudication_indicator=indicator).count() == expected
    # Importing the same file again changes nothing.
    assert import_command(path, service_type).endswith(f"unchanged {count}, total {count}")
    assert MUELimit.objects.count() == count


def test_real_values():
    import_command(shared_file(REAL[0][0]))
    office = MUELimit.objects.get(code="99213")
    assert (office.value, office.adjudication_indicator, office.rationale) == (2, 3, "Clinical: Data")
    zero = MUELimit.objects.get(code="A4206")  # a value of 0 is a real limit
    assert (zero.value, zero.adjudication_indicator, zero.rationale) == (0, 3, "CMS Policy")
    first = MUELimit.objects.get(code="0001U")
    assert (first.value, first.adjudication_indicator) == (1, 2)
    assert ProcedureCode.objects.filter(code="0001U").exists()


def test_dme_file_given_as_practitioner_is_refused():
    path = shared_file(REAL[2][0])
    with pytest.raises(
        CommandError, match="this is the DME supplier services MUE table but --service-type practitioner"
    ):
        import_command(path, "practitioner")
    assert_untouched()


def test_newer_release_counts(tmp_path):
    write_mue(
        tmp_path,
        [
            "11000,1,3 Date of Service Edit: Clinical,Clinical: Data",
            "11001,2,2 Date of Service Edit: Policy,CMS Policy",
            "11002,1,1 Line Edit,Nature of Service/Procedure",
        ],
    )
    import_command(tmp_path / "MCR_MUE_PractitionerServices_Eff_04-01-2026.csv")
    newer = write_mue(
        tmp_path,
        [
            "11000,1,3 Date of Service Edit: Clinical,Clinical: Data",
            "11001,3,2 Date of Service Edit: Policy,CMS Policy",
            "11003,0,3 Date of Service Edit: Clinical,CMS Policy",
        ],
        name="MCR_MUE_PractitionerServices_Eff_07-01-2026.csv",
    )
    assert import_command(newer) == (
        "imported mue_limits 2026 Q3: added 1, changed 1, terminated 1, unchanged 1, total 3"
    )
    assert Release.objects.get(label="2026 Q3").effective_date == date(2026, 7, 1)
    assert MUELimit.objects.get(release__label="2026 Q3", code="11003").value == 0


def test_quarter_label():
    assert quarter_label(date(2026, 4, 1)) == "2026 Q2"
    assert quarter_label(date(2026, 1, 1)) == "2026 Q1"
    assert quarter_label(date(2026, 4, 15)) == "2026-04-15"


def test_importer_class_direct(tmp_path):
    path = write_mue(tmp_path, ["J3301,4,3 Date of Service Edit: Clinical,Clinical: Data"])
    results = MUEImporter(path, service_type="practitioner").run()
    assert results[0].release.source == Source.MUE_PRACTITIONER
    assert MUELimit.objects.get().code == "J3301"
    with pytest.raises(ValueError):
        MUEImporter(path, service_type="hospital")


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (["11000,1,3 Date of Service Edit: Clinical"], r"line 6: expected 4 columns, found 3"),
        (["11000,1,3 x,y", "11001,one,3 x,y"], r"line 7, field 'MUE Values': 'one' is not a whole number"),
        (["11000,-1,3 x,y"], r"line 6, field 'MUE Values': '-1' is not a whole number"),
        (["11000,1,4 Something,y"], r"line 6, field 'MUE Adjudication Indicator'"),
        (["11000,1,3 x,y", "11000,2,3 x,y"], r"line 7, field 'HCPCS/CPT Code': code 11000 appears twice"),
        (["1100,1,3 x,y"], r"line 6, field 'HCPCS/CPT Code': '1100' is not a 5-character"),
        (["11000,1,3 x," + "y" * 121], r"line 6, field 'MUE Rationale'"),
    ],
)
def test_malformed_rows(tmp_path, rows, message):
    path = write_mue(tmp_path, rows)
    with pytest.raises(CommandError, match=rf"MCR_MUE_PractitionerServices_Eff_04-01-2026.csv, {message}"):
        import_command(path)
    assert_untouched()


def test_empty_file(tmp_path):
    path = tmp_path / "MCR_MUE_PractitionerServices_Eff_04-01-2026.csv"
    path.write_bytes(b"")
    with pytest.raises(CommandError, match="the file is empty"):
        import_command(path)
    assert_untouched()


def test_no_header(tmp_path):
    path = tmp_path / "MCR_MUE_PractitionerServices_Eff_04-01-2026.csv"
    path.write_text("code,value\n11000,1\n")
    with pytest.raises(CommandError, match="not a CMS MUE table"):
        import_command(path)
    assert_untouched()


def test_header_only(tmp_path):
    with pytest.raises(CommandError, match="holds no MUE rows"):
        import_command(write_mue(tmp_path, []))
    assert_untouched()


def test_wrong_encoding(tmp_path):
    path = write_mue(tmp_path, ["11000,1,3 x,y"])
    path.write_bytes(path.read_bytes() + b"11001,1,3 x,\x81\x8d\r\n")
    with pytest.raises(CommandError, match="not in the expected text encoding"):
        import_command(path)
    assert_untouched()


def test_unknown_setting_in_header(tmp_path):
    path = write_mue(tmp_path, ["11000,1,3 x,y"], header='"HCPCS/\r\nCPT Code",Ambulance MUE Values,MAI,Rationale')
    with pytest.raises(CommandError, match="line 5, field 'MUE Values': the second header column should name"):
        import_command(path)
    assert_untouched()


def test_file_name_without_date_needs_options(tmp_path):
    path = write_mue(tmp_path, ["11000,1,3 x,y"], name="mue.csv")
    with pytest.raises(CommandError, match="pass --release and --effective-date"):
        import_command(path)
    import_command(path, label="2026 Q2", effective_date=date(2026, 4, 1))
    assert MUELimit.objects.count() == 1
