"""import_pos: the CMS place of service code set."""

from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command

from codes.choices import FacilityType, Source
from codes.importers.base import ImportFileError
from codes.importers.pos import POSImporter
from codes.models import PlaceOfService, Release
from tests.conftest import shared_file

pytestmark = pytest.mark.django_db

HEADER = '"pos_code","pos_type","pos_name","pos_description"\n'


def run_command(*args) -> list[str]:
    out = StringIO()
    call_command("import_pos", *map(str, args), stdout=out)
    return out.getvalue().splitlines()


def test_real_file():
    path = shared_file("place_of_service/pos_codes_2024-06.csv")
    assert run_command(path) == [
        "imported places_of_service 2024-06: added 99, changed 0, terminated 0, unchanged 0, total 99"
    ]
    release = Release.objects.get(source=Source.POS)
    assert (release.label, release.effective_date) == ("2024-06", date(2024, 6, 1))
    assert PlaceOfService.objects.filter(facility_type=FacilityType.UNASSIGNED).count() == 47
    office = PlaceOfService.objects.get(code="11")
    assert (office.name, office.facility_type, office.release) == ("Office", FacilityType.NON_FACILITY, release)
    assert PlaceOfService.objects.get(code="21").facility_type == FacilityType.FACILITY
    assert PlaceOfService.objects.get(code="02").name == "Telehealth Provided Other than in Patient’s Home"
    assert run_command(path) == [
        "imported places_of_service 2024-06: added 0, changed 0, terminated 0, unchanged 99, total 99"
    ]


def test_newer_release_updates_in_place(tmp_path):
    (tmp_path / "pos_2024-06.csv").write_text(
        HEADER + '"11","Non-Facility","Office","Old"\n"12","Non-Facility","Home","H"\n'
    )
    run_command(tmp_path / "pos_2024-06.csv")
    newer = tmp_path / "pos_2025-01.csv"
    newer.write_text(
        HEADER
        + '"11","Non-Facility","Office","New text"\n"12","Non-Facility","Home","H"\n"3","Facility","School","S"\n'
    )
    assert run_command(newer) == [
        "imported places_of_service 2025-01: added 1, changed 1, terminated 0, unchanged 1, total 3"
    ]
    assert PlaceOfService.objects.get(code="11").description == "New text"
    assert PlaceOfService.objects.get(code="03").facility_type == FacilityType.FACILITY
    assert PlaceOfService.objects.count() == 3


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ("", r"^pos_2025-01.csv: the file is empty$"),
        ('"pos_code","pos_name"\n"11","Office"\n', r"line 1, field 'pos_type': the header row lacks pos_type"),
        (HEADER + '"11","Clinic","Office","x"\n', r"line 2, field 'pos_type': 'Clinic' is not Facility"),
        (HEADER + '"11","Facility"\n', r"line 2, field 'pos_name': the row has 2 fields"),
        (HEADER + '"1A","Facility","Office","x"\n', r"line 2, field 'pos_code': '1A' is not a two-digit"),
    ],
)
def test_malformed(tmp_path, text, pattern):
    (tmp_path / "pos_2024-06.csv").write_text(HEADER + '"11","Non-Facility","Office","x"\n')
    POSImporter(tmp_path / "pos_2024-06.csv").run()
    before = list(PlaceOfService.objects.values_list()), list(Release.objects.values_list())
    path = tmp_path / "pos_2025-01.csv"
    path.write_text(text)
    with pytest.raises(ImportFileError, match=pattern):
        POSImporter(path).run()
    assert (list(PlaceOfService.objects.values_list()), list(Release.objects.values_list())) == before


def test_file_name_without_month(tmp_path):
    path = tmp_path / "pos.csv"
    path.write_text(HEADER + '"11","Non-Facility","Office","x"\n')
    with pytest.raises(ImportFileError, match=r"pos.csv: cannot tell the release"):
        POSImporter(path).run()
