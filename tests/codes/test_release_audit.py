"""Every reference-data import recorded as a release is on the audit trail: one event per release."""

from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from audit.models import AuditEvent
from codes.importers.base import ImportFileError
from codes.importers.pos import POSImporter
from codes.models import Release

pytestmark = pytest.mark.django_db

HEADER = '"pos_code","pos_type","pos_name","pos_description"\n'
TWO_PLACES = HEADER + '"11","Non-Facility","Office","Office"\n"21","Facility","Inpatient Hospital","Hospital"\n'


def imports() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action="release.imported"))


@pytest.fixture
def pos_file(tmp_path):
    path = tmp_path / "pos_codes_2024-06.csv"
    path.write_text(TWO_PLACES)
    return path


def test_an_import_writes_one_event(pos_file):
    POSImporter(pos_file, imported_by="tester").run()
    release = Release.objects.get()
    [event] = imports()
    assert (event.object_type, event.object_id, event.claim_id) == ("release", str(release.pk), None)
    assert (event.actor, event.actor_name) == (None, "System")
    assert event.summary == "imported Places of service release 2024-06: added 2, changed 0, terminated 0, unchanged 0"
    assert event.data == {
        "source": "pos",
        "label": "2024-06",
        "effective_date": "2024-06-01",
        "added": 2,
        "changed": 0,
        "terminated": 0,
        "unchanged": 0,
        "total": 2,
        "sha256": release.sha256,
        "file_name": "pos_codes_2024-06.csv",
        "imported_by": "tester",
        "is_starter": False,
    }


def test_a_dry_run_records_nothing(pos_file):
    [result] = POSImporter(pos_file, dry_run=True).run()
    assert result.release.added == 2
    assert not AuditEvent.objects.exists() and not Release.objects.exists()


def test_the_same_file_again_records_nothing_more(pos_file):
    POSImporter(pos_file).run()
    POSImporter(pos_file).run()
    assert len(imports()) == 1


def test_a_corrected_file_of_the_same_release_is_recorded_again(pos_file, tmp_path):
    POSImporter(pos_file).run()
    pos_file.write_text(TWO_PLACES + '"12","Non-Facility","Home","Home"\n')
    POSImporter(pos_file).run()
    assert [e.data["added"] for e in imports()] == [2, 1]


def test_a_failed_import_records_nothing(tmp_path):
    path = tmp_path / "pos_codes_2024-06.csv"
    path.write_text(HEADER + '"11","Clinic","Office","x"\n')
    with pytest.raises(ImportFileError):
        POSImporter(path).run()
    assert not AuditEvent.objects.exists()


def test_the_command_records_the_import_and_its_dry_run_does_not(pos_file):
    call_command("import_pos", str(pos_file), "--dry-run", stdout=StringIO())
    assert imports() == []
    call_command("import_pos", str(pos_file), stdout=StringIO())
    assert [e.summary for e in imports()] == [
        "imported Places of service release 2024-06: added 2, changed 0, terminated 0, unchanged 0"
    ]


def test_the_starter_data_records_one_event_per_release():
    call_command("load_starter_data", "--without-icd10cm", stdout=StringIO())
    releases = Release.objects.all()
    assert len(releases) > 1
    assert sorted(int(e.object_id) for e in imports()) == sorted(r.pk for r in releases)
    assert all(e.data["is_starter"] for e in imports())


def test_an_admin_upload_names_the_user_and_its_preview_records_nothing(
    admin_client_logged, admin_user, settings, tmp_path
):
    settings.IMPORT_UPLOAD_DIR = tmp_path / "uploads"
    url = reverse("admin:codes_release_import")
    upload = SimpleUploadedFile("pos_codes_2024-06.csv", TWO_PLACES.encode(), content_type="text/csv")
    preview = admin_client_logged.post(url, {"kind": "pos", "file": upload, "action": "preview"})
    assert imports() == []
    admin_client_logged.post(url, {"action": "confirm", "token": preview.context["staged"].token})
    [event] = imports()
    assert (event.actor, event.actor_name, event.data["imported_by"]) == (admin_user, "admin", "admin")


def test_the_trail_stays_intact(pos_file):
    POSImporter(pos_file).run()
    out = StringIO()
    call_command("verify_audit_log", stdout=out)
    assert out.getvalue().startswith("audit log intact: 1 event,")
