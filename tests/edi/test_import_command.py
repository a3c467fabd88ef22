"""manage.py import_837: each file imported whole and summarised; a file already imported, a malformed file and an
unknown user import nothing."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from claims.models import Claim, Patient
from edi.models import ImportedFile

from .conftest import sample_path
from .test_import import builder_bytes

pytestmark = pytest.mark.django_db


def run(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_837", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def built(tmp_path):
    path = tmp_path / "practice-batch.837"
    path.write_bytes(builder_bytes())
    return path


def test_a_file_is_imported_and_summarised(built, supervisor):
    out, err = run(str(built), "--user", "supervisor")
    imported = ImportedFile.objects.get()
    risks = {claim.risk for claim in Claim.objects.all()}
    assert err == ""
    assert out.splitlines()[0] == f"practice-batch.837: imported 3 claims, 7 lines (import #{imported.pk})"
    assert out.splitlines()[1] == "  new: 2 patients, 2 provider(s), 3 payer(s)"
    counts = {label: int(n) for label, n in (part.split() for part in out.splitlines()[2][8:].split(", "))}
    assert set(counts) == {"high", "medium", "low", "none"} and sum(counts.values()) == 3
    assert {risk for risk, n in counts.items() if n} == risks
    assert "RIVERA" not in out and "CHEN" not in out  # counts only, never patient data
    assert set(Claim.objects.values_list("created_by__username", flat=True)) == {"supervisor"}


def test_the_same_file_again_says_so_and_imports_nothing(built, supervisor):
    run(str(built), "--user", "supervisor")
    copy = built.with_name("copy.837")
    copy.write_bytes(built.read_bytes())
    out, err = run(str(copy), "--user", "supervisor")  # exit status 0: nothing left to do
    assert out == ""
    assert err.startswith("copy.837 was not imported: the same file (SHA-256 ")
    assert "imported as practice-batch.837 on" in err and "nothing was imported again" in err
    assert Claim.objects.count() == 3 and ImportedFile.objects.count() == 1


def test_a_malformed_file_prints_the_segment_imports_nothing_and_exits_non_zero(built, tmp_path, supervisor):
    segments = built.read_text().split("~")
    hl = next(index for index, segment in enumerate(segments) if segment.strip().startswith("HL*3"))
    segments[hl] = segments[hl].replace("HL*3", "HL*9", 1)
    bad = tmp_path / "bad.837"
    bad.write_text("~".join(segments))
    with pytest.raises(CommandError) as failed:
        run(str(bad), str(built), "--user", "supervisor")
    assert failed.value.returncode == 2
    assert str(failed.value) == "1 file not imported."
    # the good file after it is imported; the bad one is not, and says where
    assert ImportedFile.objects.get().file_name == "practice-batch.837"


def test_the_malformed_message_names_segment_number_and_id(tmp_path, supervisor):
    bad = tmp_path / "bad.837"
    segments = builder_bytes().decode().split("~")
    hl = next(index for index, segment in enumerate(segments) if segment.strip().startswith("HL*3"))
    segments[hl] = segments[hl].replace("HL*3", "HL*9", 1)
    bad.write_text("~".join(segments))
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("import_837", str(bad), "--user", "supervisor", stdout=StringIO(), stderr=err)
    assert err.getvalue().startswith(f"bad.837 was not imported: segment {hl + 1} (HL): HL01 '9' out of sequence")
    assert not Claim.objects.exists() and not Patient.objects.exists()


def test_an_unknown_user_imports_nothing(built, supervisor):
    with pytest.raises(CommandError, match="No active user named 'nobody'"):
        run(str(built), "--user", "nobody")
    assert not ImportedFile.objects.exists()


@pytest.mark.shared_data
def test_several_samples_in_one_run(supervisor):
    names = ("demo.837", "demo.cob.example4.837")
    out, _ = run(*(str(sample_path(name)) for name in names), "--user", "supervisor")
    assert [line.split(":")[0] for line in out.splitlines() if not line.startswith(" ")] == list(names)
    assert ImportedFile.objects.count() == 2
