"""ICD-10-CM by fiscal year: the file formats, ``import_icd10cm``, the edition selector and the code set."""

from __future__ import annotations

import zipfile
from datetime import date, datetime, timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from codes.choices import Source
from codes.icd10cm import (
    HEADER,
    SHIPPED_BY,
    UNKNOWN,
    VALID,
    DiagnosisCodeSet,
    bare_code,
    dotted,
    edition_lines,
    fiscal_year,
    fiscal_year_start,
    parse_order_lines,
    sniff_format,
)
from codes.importers import registry
from codes.importers.base import ImportFileError
from codes.importers.icd10cm import ICD10CMImporter
from codes.models import DiagnosisCode, Release
from codes.selectors import (
    ICD10CMEditions,
    icd10cm_code_set,
    icd10cm_code_set_cache_clear,
    icd10cm_edition_for,
)

pytestmark = pytest.mark.django_db

LACERATION = "Laceration without foreign body of other part of head"
# A small FY2025 edition: E66.8 became a header on 2024-10-01 (E66.81x, E66.89 below it).
FY2025 = [
    ("E66", False, "Overweight and obesity", "Overweight and obesity"),
    ("E668", False, "Other obesity", "Other obesity"),
    ("E6681", False, "Obesity class", "Obesity class"),
    ("E66811", True, "Obesity, class 1", "Obesity, class 1"),
    ("E66812", True, "Obesity, class 2", "Obesity, class 2"),
    ("E6689", True, "Other obesity not elsewhere classified", "Other obesity not elsewhere classified"),
    ("R05", False, "Cough", "Cough"),
    ("R051", True, "Acute cough", "Acute cough"),
    ("S0181", False, "Laceration w/o fb of oth part of head", LACERATION),
    ("S0181XA", True, "Laceration w/o fb of oth prt head, init", f"{LACERATION}, initial encounter"),
]
FY2024 = [
    ("E66", False, "Overweight and obesity", "Overweight and obesity"),
    ("E668", True, "Other obesity", "Other obesity"),
    ("R05", False, "Cough", "Cough"),
    ("R051", True, "Acute cough", "Acute cough"),
    ("R10", False, "Abdominal and pelvic pain", "Abdominal and pelvic pain"),
    ("R102", True, "Pelvic and perineal pain", "Pelvic and perineal pain"),
]


def order_text(rows) -> str:
    return "".join(
        f"{number:05d} {code:<7} {int(billable)} {short:<60} {long}\r\n"
        for number, (code, billable, short, long) in enumerate(rows, start=1)
    )


def codes_text(rows) -> str:
    return "".join(f"{code:<8}{long}\n" for code, billable, _short, long in rows if billable)


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_bytes(text.encode("utf-8"))
    return path


def run(*args) -> list[str]:
    out = StringIO()
    call_command("import_icd10cm", *map(str, args), stdout=out)
    return out.getvalue().splitlines()


def codes_of(release: Release) -> dict[str, tuple[bool, str]]:
    return {row.code: (row.billable, row.description) for row in DiagnosisCode.objects.filter(release=release)}


# --- pure helpers ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dos", "year"),
    [
        (date(2024, 5, 15), 2024),
        (date(2024, 9, 30), 2024),
        (date(2024, 10, 1), 2025),
        (date(2024, 12, 31), 2025),
        (date(2025, 1, 1), 2025),
    ],
)
def test_the_fiscal_year_starts_on_october_1(dos, year):
    assert fiscal_year(dos) == year


def test_codes_are_kept_bare_and_shown_dotted():
    assert bare_code(" e66.811 ") == "E66811"
    assert dotted("E66811") == "E66.811"
    assert dotted("R05") == "R05"


def test_the_order_file_reader_takes_the_long_description_and_the_flag():
    rows = list(parse_order_lines(order_text(FY2025).splitlines()))
    assert [(r.code, r.billable) for r in rows[:4]] == [
        ("E66", False),
        ("E668", False),
        ("E6681", False),
        ("E66811", True),
    ]
    assert rows[-1].description == "Laceration without foreign body of other part of head, initial encounter"
    assert rows[-1].line == len(FY2025)


def test_the_format_is_told_from_the_first_line():
    assert sniff_format(order_text(FY2025).splitlines()[0]) == "order"
    assert sniff_format(codes_text(FY2025).splitlines()[0]) == "codes"
    assert sniff_format("code\tbillable\tdescription") == "edition"


def test_edition_lines_refuse_a_tab_in_a_description():
    with pytest.raises(ValueError, match="tab"):
        list(edition_lines([("R05", False, "Cough\there")]))


def test_the_code_set_tells_billable_header_and_unknown_apart():
    code_set = DiagnosisCodeSet((code, billable) for code, billable, _s, _l in FY2025)
    assert code_set.status("E66.811") == VALID
    assert code_set.status("E66.8") == HEADER
    assert code_set.status("R05") == HEADER
    assert code_set.status("R10.2") == UNKNOWN
    assert code_set.children("E66.8") == ("E6681", "E6689")
    assert code_set.children("R05") == ("R051",)
    # A 7th-character code written without its 7th character is a heading to complete, with its codes below.
    assert code_set.status("S01.81X") == HEADER
    assert code_set.children("S0181X") == ("S0181XA",)
    assert code_set.children("S0181") == ("S0181X",)


def test_a_code_set_of_billable_codes_only_treats_their_beginnings_as_headers():
    code_set = DiagnosisCodeSet([("E66811", True), ("E6689", True)])
    assert code_set.status("E668") == HEADER
    assert code_set.status("E66") == HEADER
    assert code_set.status("E669") == UNKNOWN


# --- import_icd10cm ---------------------------------------------------------------------------------


def test_an_order_file_becomes_the_edition_of_its_fiscal_year(tmp_path):
    lines = run(write(tmp_path, "icd10cm_order_2025.txt", order_text(FY2025)))
    release = Release.objects.get(source=Source.ICD10CM)
    assert release.label == "FY2025"
    assert release.effective_date == date(2024, 10, 1)
    assert release.table == "diagnosis_codes"
    assert lines == ["imported diagnosis_codes FY2025: added 10, changed 0, terminated 0, unchanged 0, total 10"]
    rows = codes_of(release)
    assert rows["E66811"] == (True, "Obesity, class 1")
    assert rows["E668"] == (False, "Other obesity")
    assert rows["S0181XA"][1].endswith("initial encounter")


def test_counts_compare_with_the_previous_fiscal_year(tmp_path):
    run(write(tmp_path, "icd10cm_order_2024.txt", order_text(FY2024)))
    lines = run(write(tmp_path, "icd10cm_order_2025.txt", order_text(FY2025)))
    # New: E6681, E66811, E66812, E6689, S0181, S0181XA; changed: E668 (billable -> header); gone: R10, R102.
    assert lines == ["imported diagnosis_codes FY2025: added 6, changed 1, terminated 2, unchanged 3, total 10"]


def test_a_codes_file_imports_the_billable_codes_only(tmp_path):
    run(write(tmp_path, "icd10cm_codes_2025.txt", codes_text(FY2025)))
    release = Release.objects.get(source=Source.ICD10CM, label="FY2025")
    rows = codes_of(release)
    assert set(rows) == {"E66811", "E66812", "E6689", "R051", "S0181XA"}
    assert all(billable for billable, _ in rows.values())
    code_set = icd10cm_code_set(release)
    assert code_set.status("E66.8") == HEADER  # told from the codes below it
    assert code_set.status("R10.2") == UNKNOWN


def test_the_zip_from_cms_is_read_order_file_first(tmp_path):
    archive = tmp_path / "2025-code-descriptions-tabular-order.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as handle:
        handle.writestr("icd10cm_codes_2025.txt", codes_text(FY2025))
        handle.writestr("icd10cm_order_2025.txt", order_text(FY2025))
        handle.writestr("icd10cm_order_addenda_2025.txt", "not read")
        handle.writestr("icd10cm-Code Descriptions-2025.pdf", "%PDF")
    run(archive)
    release = Release.objects.get(source=Source.ICD10CM)
    assert release.label == "FY2025"
    assert release.file_name == archive.name
    assert codes_of(release)["E668"] == (False, "Other obesity")  # headers: the order file was read


def test_a_zip_with_the_codes_file_only(tmp_path):
    archive = tmp_path / "codes.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr("Code Descriptions/icd10cm_codes_2026.txt", codes_text(FY2025))
    run(archive)  # the year comes from the member's name
    assert Release.objects.get(source=Source.ICD10CM).label == "FY2026"


def test_a_zip_without_an_icd10cm_file_is_refused(tmp_path):
    archive = tmp_path / "icd10cm_2025.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr("readme.txt", "hello")
    with pytest.raises(CommandError, match=r"holds no ICD-10-CM order or codes file.*readme.txt"):
        run(archive)
    assert not Release.objects.exists()


def test_the_fiscal_year_option_names_a_file_without_a_year(tmp_path):
    path = write(tmp_path, "diagnoses.txt", order_text(FY2024))
    with pytest.raises(CommandError, match=r"cannot tell the fiscal year from the file name.*--fiscal-year"):
        run(path)
    assert not Release.objects.exists()
    run(path, "--fiscal-year", 2024)
    release = Release.objects.get(source=Source.ICD10CM)
    assert (release.label, release.effective_date) == ("FY2024", date(2023, 10, 1))


def test_the_fiscal_year_option_wins_over_the_file_name(tmp_path):
    run(write(tmp_path, "icd10cm_order_2025.txt", order_text(FY2024)), "--fiscal-year", 2024)
    assert Release.objects.get(source=Source.ICD10CM).label == "FY2024"


def test_an_april_update_keeps_its_fiscal_year(tmp_path):
    run(write(tmp_path, "icd10cm_order_2025.txt", order_text(FY2025)), "--effective-date", "2025-04-01")
    release = Release.objects.get(source=Source.ICD10CM)
    assert (release.label, release.effective_date) == ("FY2025", date(2025, 4, 1))
    assert icd10cm_edition_for(date(2024, 10, 1)).release == release


def test_an_effective_date_outside_the_fiscal_year_is_refused(tmp_path):
    path = write(tmp_path, "icd10cm_order_2025.txt", order_text(FY2025))
    with pytest.raises(CommandError, match=r"2025-10-01 is not in fiscal year 2025"):
        run(path, "--effective-date", "2025-10-01")
    assert not Release.objects.exists()


def test_a_name_with_two_years_needs_the_option(tmp_path):
    with pytest.raises(CommandError, match="several years"):
        run(write(tmp_path, "icd10cm_order_2024_2025.txt", order_text(FY2025)))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the file is empty"),
        (order_text(FY2024) + "00007 R1X.9   1 Bad\r\n", r"line 7, field 'code': 'R1X\.9' is not an ICD-10-CM code"),
        (order_text(FY2024).replace("00003 R05     0", "00003 R05     2"), r"line 3, field 'billable flag': '2'"),
        (order_text(FY2024) + "00007 R102    1 Pelvic\r\n", r"line 7, field 'code': R102 appears twice \(first on l"),
        (order_text(FY2024) + "garbage\r\n", r"line 7: not an order-file line"),
        (order_text([("R05", False, "Cough", "Cough")]), "no billable code"),
    ],
    ids=["empty", "bad code", "bad flag", "duplicate", "garbage line", "headers only"],
)  # fmt: skip
def test_bad_input_names_the_line_and_imports_nothing(tmp_path, text, message):
    path = write(tmp_path, "icd10cm_order_2024.txt", text)
    with pytest.raises(CommandError, match=message) as caught:
        run(path)
    assert "nothing was imported" in str(caught.value)
    assert not Release.objects.exists()
    assert not DiagnosisCode.objects.exists()


def test_a_codes_file_line_without_a_description_is_refused(tmp_path):
    path = write(tmp_path, "icd10cm_codes_2025.txt", "A000    Cholera due to Vibrio cholerae\nA001\n")
    with pytest.raises(CommandError, match=r"line 2, field 'description': A001 has no description"):
        run(path)


def test_the_same_file_twice_imports_nothing(tmp_path):
    path = write(tmp_path, "icd10cm_order_2025.txt", order_text(FY2025))
    run(path)
    release = Release.objects.get(source=Source.ICD10CM)
    ids = set(DiagnosisCode.objects.values_list("pk", flat=True))
    assert run(path) == ["imported diagnosis_codes FY2025: added 0, changed 0, terminated 0, unchanged 10, total 10"]
    assert set(DiagnosisCode.objects.values_list("pk", flat=True)) == ids
    assert Release.objects.get(source=Source.ICD10CM).imported_at == release.imported_at


def test_a_corrected_file_of_the_same_fiscal_year_replaces_its_codes(tmp_path):
    run(write(tmp_path, "icd10cm_order_2025.txt", order_text(FY2025)))
    run(write(tmp_path, "icd10cm_codes_2025.txt", codes_text(FY2025[:4])))
    release = Release.objects.get(source=Source.ICD10CM)
    assert set(codes_of(release)) == {"E66811"}


def test_a_dry_run_leaves_nothing(tmp_path):
    lines = run(write(tmp_path, "icd10cm_order_2025.txt", order_text(FY2025)), "--dry-run")
    assert lines[0].startswith("[dry run] imported diagnosis_codes FY2025: added 10")
    assert not Release.objects.exists() and not DiagnosisCode.objects.exists()


def test_the_importer_reports_a_missing_file(tmp_path):
    with pytest.raises(ImportFileError, match="no such file"):
        ICD10CMImporter(tmp_path / "icd10cm_order_2025.txt").run()


def test_the_admin_upload_offers_icd10cm_files(admin_client_logged, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    settings.IMPORT_UPLOAD_DIR = tmp_path / "uploads"
    assert registry.get_kind("icd10cm").importer_class() is ICD10CMImporter
    url = reverse("admin:codes_release_import")
    upload = SimpleUploadedFile("icd10cm_order_2025.txt", order_text(FY2025).encode(), content_type="text/plain")
    response = admin_client_logged.post(url, {"kind": "icd10cm", "file": upload, "action": "preview"})
    assert response.status_code == 200
    [result] = response.context["results"]
    assert result.summary_line.startswith("imported diagnosis_codes FY2025: added 10")
    assert not Release.objects.exists()  # a preview only
    admin_client_logged.post(url, {"action": "confirm", "token": response.context["staged"].token})
    assert Release.objects.get(source=Source.ICD10CM).label == "FY2025"
    assert DiagnosisCode.objects.count() == len(FY2025)


def test_the_admin_lists_diagnosis_codes_read_only(admin_client_logged, tmp_path):
    from django.urls import reverse

    run(write(tmp_path, "icd10cm_order_2025.txt", order_text(FY2025)))
    response = admin_client_logged.get(reverse("admin:codes_diagnosiscode_changelist"), {"q": "E668"})
    assert response.status_code == 200
    assert "Other obesity" in response.content.decode()
    assert admin_client_logged.get(reverse("admin:codes_diagnosiscode_add")).status_code == 403


# --- which edition applies ----------------------------------------------------------------------------


def test_a_date_of_service_gets_the_edition_of_its_fiscal_year_or_none(tmp_path):
    run(write(tmp_path, "icd10cm_order_2024.txt", order_text(FY2024)))
    run(write(tmp_path, "icd10cm_order_2025.txt", order_text(FY2025)))
    assert icd10cm_edition_for(date(2024, 5, 15)).fiscal_year == 2024
    assert icd10cm_edition_for(date(2024, 9, 30)).label == "FY2024"
    assert icd10cm_edition_for(date(2024, 10, 1)).label == "FY2025"
    assert icd10cm_edition_for(date(2023, 9, 30)) is None  # FY2023: not loaded, and never FY2024 instead
    assert icd10cm_edition_for(date(2025, 10, 1)) is None  # FY2026: not loaded, and never FY2025 instead
    editions = ICD10CMEditions.load()
    assert editions.fiscal_years() == [2024, 2025]
    edition = editions.for_fiscal_year(2025)
    assert (edition.first_day, edition.last_day) == (date(2024, 10, 1), date(2025, 9, 30))
    assert not edition.shipped


def test_the_facts_of_each_year_differ(tmp_path):
    run(write(tmp_path, "icd10cm_order_2024.txt", order_text(FY2024)))
    run(write(tmp_path, "icd10cm_order_2025.txt", order_text(FY2025)))
    may_2024 = icd10cm_edition_for(date(2024, 5, 15)).code_set()
    november_2024 = icd10cm_edition_for(date(2024, 11, 4)).code_set()
    assert may_2024.status("E66.8") == VALID and november_2024.status("E66.8") == HEADER
    assert may_2024.status("R10.2") == VALID and november_2024.status("R10.2") == UNKNOWN
    assert may_2024.status("E66.811") == UNKNOWN and november_2024.status("E66.811") == VALID


def release(label: str, *, year: int, shipped: bool, imported_at: datetime, pk: int) -> Release:
    return Release(
        pk=pk,
        source=Source.ICD10CM,
        label=label,
        effective_date=fiscal_year_start(year),
        imported_by=SHIPPED_BY if shipped else "admin",
        imported_at=imported_at,
    )


def test_an_edition_from_a_cms_file_wins_over_a_shipped_one_whatever_the_order():
    now = timezone.now()
    cms = release("FY2026", year=2026, shipped=False, imported_at=now - timedelta(days=1), pk=1)
    shipped_later = release("FY2026 shipped", year=2026, shipped=True, imported_at=now, pk=2)
    shipped_2025 = release("FY2025 shipped", year=2025, shipped=True, imported_at=now, pk=3)
    editions = ICD10CMEditions([cms, shipped_later, shipped_2025])
    assert editions.for_date(date(2026, 3, 1)).release is cms
    assert editions.for_date(date(2025, 3, 1)).release is shipped_2025  # a CMS FY2026 file hides no other year
    assert editions.for_date(date(2025, 3, 1)).shipped
    newer_cms = release("FY2026 corrected", year=2026, shipped=False, imported_at=now, pk=4)
    assert ICD10CMEditions([newer_cms, cms, shipped_later]).for_date(date(2026, 3, 1)).release is newer_cms


def test_the_code_set_is_built_once_per_release(tmp_path, django_assert_num_queries):
    icd10cm_code_set_cache_clear()
    run(write(tmp_path, "icd10cm_order_2025.txt", order_text(FY2025)))
    edition = icd10cm_edition_for(date(2025, 1, 2))
    with django_assert_num_queries(1):
        first = edition.code_set()
    with django_assert_num_queries(0):
        assert edition.code_set() is first
        assert icd10cm_code_set(edition.release) is first
    # A corrected file of the same fiscal year (a new sha256) gets a new code set.
    run(write(tmp_path, "icd10cm_codes_2025.txt", codes_text(FY2025[:4])))
    corrected = icd10cm_edition_for(date(2025, 1, 2))
    assert corrected.release.pk == edition.release.pk
    assert corrected.code_set() is not first
    assert corrected.code_set().status("R05.1") == UNKNOWN


def test_an_edition_file_imports_compressed(tmp_path):
    import gzip

    path = tmp_path / "fy2025.tsv.gz"
    path.write_bytes(
        gzip.compress("".join(edition_lines([("R05", False, "Cough"), ("R051", True, "Acute cough")])).encode())
    )
    assert run(path) == ["imported diagnosis_codes FY2025: added 2, changed 0, terminated 0, unchanged 0, total 2"]
    assert codes_of(Release.objects.get(source=Source.ICD10CM)) == {
        "R05": (False, "Cough"),
        "R051": (True, "Acute cough"),
    }


def test_a_broken_edition_file_names_the_line(tmp_path):
    import gzip

    path = tmp_path / "fy2025.tsv.gz"
    path.write_bytes(gzip.compress(b"code\tbillable\tdescription\nR05\t0\tCough\nR051\tyes\tAcute cough\n"))
    with pytest.raises(CommandError, match=r"fy2025.tsv.gz, line 3, field 'billable': 'yes' is not 0 or 1"):
        run(path)
    assert not Release.objects.exists()
