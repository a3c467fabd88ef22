"""The importer framework: atomic, idempotent, dry-run, error messages, counts."""

import io
import sys
from datetime import date

import pytest

from codes.choices import FacilityType, Source
from codes.importers.base import BaseImporter, Counts, ImportFileError, diff_counts, ensure_codes_exist
from codes.models import PlaceOfService, ProcedureCode, Release


class TinyPOSImporter(BaseImporter):
    """A minimal importer for these tests: lines of 'code,name' into PlaceOfService."""

    source = Source.POS

    def detect_release(self):
        return self.path.stem, date(2026, 1, 1)

    def load(self, release, previous):
        current = {}
        for number, line in enumerate(self.path.read_text().splitlines(), start=1):
            code, _, name = line.partition(",")
            if not name:
                raise self.error("the name is missing", line=number, field="name")
            current[code] = name
        existing = dict(PlaceOfService.objects.values_list("code", "name"))
        counts = diff_counts(existing, current)
        for code, name in current.items():
            PlaceOfService.objects.update_or_create(
                code=code, defaults={"name": name, "facility_type": FacilityType.FACILITY, "release": release}
            )
        return counts


def test_error_names_file_line_and_field(tmp_path):
    error = ImportFileError(tmp_path / "pos.csv", "the name is missing", line=3, field="name")
    assert str(error) == "pos.csv, line 3, field 'name': the name is missing"


def test_diff_counts():
    counts = diff_counts({"a": 1, "b": 2, "c": 3}, {"a": 1, "b": 20, "d": 4})
    assert counts == Counts(added=1, changed=1, terminated=1, unchanged=1, total=3)


def test_diff_counts_terminated_now():
    counts = diff_counts(
        {"a": (1, None)}, {"a": (1, "2026-01-01")}, terminated_now=lambda old, new: new[1] and not old[1]
    )
    assert (counts.terminated, counts.changed) == (1, 0)


@pytest.mark.django_db
class TestRun:
    def test_import_records_release_and_counts(self, tmp_path):
        path = tmp_path / "pos-a.csv"
        path.write_text("11,Office\n12,Home\n")
        [result] = TinyPOSImporter(path, imported_by="tester").run()
        release = Release.objects.get()
        assert (release.source, release.label, release.file_name, release.imported_by) == (
            "pos",
            "pos-a",
            "pos-a.csv",
            "tester",
        )
        assert len(release.sha256) == 64
        assert result.summary_line == (
            "imported places_of_service pos-a: added 2, changed 0, terminated 0, unchanged 0, total 2"
        )

    def test_same_file_twice_changes_nothing(self, tmp_path):
        path = tmp_path / "pos-a.csv"
        path.write_text("11,Office\n12,Home\n")
        TinyPOSImporter(path).run()
        [result] = TinyPOSImporter(path).run()
        assert not result.changed_anything
        assert result.summary_line.endswith("added 0, changed 0, terminated 0, unchanged 2, total 2")
        assert Release.objects.count() == 1

    def test_bad_file_leaves_database_as_before(self, tmp_path):
        good = tmp_path / "pos-a.csv"
        good.write_text("11,Office\n")
        TinyPOSImporter(good).run()
        bad = tmp_path / "pos-b.csv"
        bad.write_text("11,Clinic\n99\n")
        with pytest.raises(ImportFileError, match=r"pos-b.csv, line 2, field 'name'"):
            TinyPOSImporter(bad).run()
        assert list(PlaceOfService.objects.values_list("name", flat=True)) == ["Office"]
        assert list(Release.objects.values_list("label", flat=True)) == ["pos-a"]

    def test_dry_run_reports_and_rolls_back(self, tmp_path):
        path = tmp_path / "pos-a.csv"
        path.write_text("11,Office\n")
        [result] = TinyPOSImporter(path, dry_run=True).run()
        assert result.release.added == 1
        assert not PlaceOfService.objects.exists()
        assert not Release.objects.exists()

    @pytest.mark.parametrize(("content", "message"), [(b"", "the file is empty")])
    def test_empty_file(self, tmp_path, content, message):
        path = tmp_path / "empty.csv"
        path.write_bytes(content)
        with pytest.raises(ImportFileError, match=message):
            TinyPOSImporter(path).run()

    def test_missing_file(self, tmp_path):
        with pytest.raises(ImportFileError, match="no such file"):
            TinyPOSImporter(tmp_path / "nope.csv").run()

    def test_options_override_detected_release(self, tmp_path):
        path = tmp_path / "pos-a.csv"
        path.write_text("11,Office\n")
        TinyPOSImporter(path, label="2026 June", effective_date=date(2026, 6, 1)).run()
        release = Release.objects.get()
        assert (release.label, release.effective_date) == ("2026 June", date(2026, 6, 1))


@pytest.mark.django_db
def test_ensure_codes_exist_creates_only_valid_unknown_codes():
    ProcedureCode.objects.create(code="99213", system="CPT", origin="starter", label="Office visit")
    created = ensure_codes_exist(["99213", "J1100", "0591T", "BAD", ""], note="MUE practitioner 2026-04-01")
    assert created == 2
    j1100 = ProcedureCode.objects.get(code="J1100")
    assert (j1100.system, j1100.hcpcs_section, j1100.origin, j1100.origin_note) == (
        "HCPCS",
        "J",
        "edit_file",
        "MUE practitioner 2026-04-01",
    )
    assert ProcedureCode.objects.get(code="0591T").cpt_category == "III"
    assert ProcedureCode.objects.get(code="99213").label == "Office visit"


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_bar_shows_on_a_terminal(monkeypatch):
    from codes.importers.base import progress

    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("CLAIMDESK_NO_PROGRESS", raising=False)
    assert list(progress(range(5), total=5, desc="ptp.txt")) == [0, 1, 2, 3, 4]
    assert "ptp.txt" in terminal.getvalue()


@pytest.mark.parametrize("quiet_env", ["CI", "CLAIMDESK_NO_PROGRESS"])
def test_progress_stays_quiet_in_ci(monkeypatch, quiet_env):
    from codes.importers.base import progress

    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv(quiet_env, "true")
    assert list(progress(range(3))) == [0, 1, 2]
    assert terminal.getvalue() == ""


def test_progress_stays_quiet_in_a_pipe(monkeypatch):
    from codes.importers.base import progress

    pipe = io.StringIO()
    monkeypatch.setattr(sys, "stderr", pipe)
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("CLAIMDESK_NO_PROGRESS", raising=False)
    assert list(progress(range(3))) == [0, 1, 2]
    assert pipe.getvalue() == ""
