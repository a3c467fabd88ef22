"""The admin "Import a CMS file" page: upload, dry-run preview, confirm or cancel."""

from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from codes.choices import Source
from codes.importers import registry
from codes.importers.base import BaseImporter, Counts
from codes.models import PlaceOfService, Release
from tests.conftest import shared_file

pytestmark = pytest.mark.django_db

IMPORT_URL = reverse("admin:codes_release_import")
POS_HEADER = '"pos_code","pos_type","pos_name","pos_description"\n'
TINY_POS = POS_HEADER + '"11","Non-Facility","Office","Office"\n"21","Facility","Inpatient Hospital","Hospital"\n'


@pytest.fixture(autouse=True)
def upload_dir(settings, tmp_path):
    settings.IMPORT_UPLOAD_DIR = tmp_path / "uploads"
    return settings.IMPORT_UPLOAD_DIR


def stored_files(upload_dir: Path) -> list[Path]:
    return sorted(p for p in upload_dir.rglob("*") if p.is_file()) if upload_dir.exists() else []


def preview(client, content: str | bytes, name="pos_codes_2024-06.csv", kind="pos", **fields):
    data = content.encode() if isinstance(content, str) else content
    upload = SimpleUploadedFile(name, data, content_type="text/csv")
    return client.post(IMPORT_URL, {"kind": kind, "file": upload, "action": "preview", **fields})


def message_texts(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- access --------------------------------------------------------------------------------------


def test_non_staff_users_are_sent_to_the_admin_login(biller_client):
    response = biller_client.get(IMPORT_URL)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_staff_without_the_add_release_permission_get_403(client, django_user_model):
    user = django_user_model.objects.create_user("staffer", password="x", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_release"))
    client.force_login(user)
    assert client.get(IMPORT_URL).status_code == 403
    assert preview(client, TINY_POS).status_code == 403
    assert "Import a CMS file" not in client.get(reverse("admin:codes_release_changelist")).content.decode()


def test_staff_with_the_permission_may_import(client, django_user_model, upload_dir):
    user = django_user_model.objects.create_user("importer", password="x", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=["view_release", "add_release"]))
    client.force_login(user)
    response = preview(client, TINY_POS)
    assert response.status_code == 200 and response.context["results"]
    client.post(IMPORT_URL, {"action": "confirm", "token": response.context["staged"].token})
    assert Release.objects.get(source=Source.POS).imported_by == "importer"


def test_the_form_offers_every_kind_of_cms_file(admin_client_logged):
    response = admin_client_logged.get(IMPORT_URL)
    assert response.status_code == 200
    offered = dict(response.context["form"].fields["kind"].choices)
    expected = {"hcpcs", "cpt", "rvu", "ptp_practitioner", "ptp_hospital", "mue_practitioner"}
    expected |= {"mue_outpatient_hospital", "mue_dme", "aoc", "asp", "ndc_crosswalk", "pos"}
    assert expected <= set(offered)


# --- preview, confirm, cancel --------------------------------------------------------------------


def test_preview_shows_what_would_change_and_writes_nothing(admin_client_logged, upload_dir):
    response = preview(admin_client_logged, TINY_POS)
    assert response.status_code == 200
    html = response.content.decode()
    assert "imported places_of_service 2024-06: added 2, changed 0, terminated 0, unchanged 0, total 2" in html
    assert "Confirm import" in html and "Cancel" in html
    assert PlaceOfService.objects.count() == 0 and Release.objects.count() == 0
    # kept under a random token directory, with its name (the importer reads the release from it)
    token = response.context["staged"].token
    assert stored_files(upload_dir) == [
        upload_dir / token / "pos_codes_2024-06.csv",
        upload_dir / token / "upload.json",
    ]
    assert len(token) == 32


def test_confirm_imports_for_real_and_reports_the_summary(admin_client_logged, admin_user, upload_dir):
    token = preview(admin_client_logged, TINY_POS).context["staged"].token
    response = admin_client_logged.post(IMPORT_URL, {"action": "confirm", "token": token})
    assert response.status_code == 302 and response["Location"] == reverse("admin:codes_release_changelist")
    assert message_texts(response) == [
        "imported places_of_service 2024-06: added 2, changed 0, terminated 0, unchanged 0, total 2"
    ]
    release = Release.objects.get(source=Source.POS)
    assert release.imported_by == admin_user.username == "admin"
    assert release.file_name == "pos_codes_2024-06.csv"
    assert sorted(PlaceOfService.objects.values_list("code", flat=True)) == ["11", "21"]
    assert stored_files(upload_dir) == []
    # the token is spent
    again = admin_client_logged.post(IMPORT_URL, {"action": "confirm", "token": token})
    assert "no longer available" in message_texts(again)[-1]


def test_release_label_and_effective_date_from_the_form(admin_client_logged):
    response = preview(
        admin_client_logged, TINY_POS, name="places.csv", label="2024 mid-year", effective_date="2024-07-01"
    )
    assert "2024 mid-year" in response.content.decode()
    admin_client_logged.post(IMPORT_URL, {"action": "confirm", "token": response.context["staged"].token})
    release = Release.objects.get()
    assert (release.label, str(release.effective_date)) == ("2024 mid-year", "2024-07-01")


def test_cancel_deletes_the_stored_file_and_imports_nothing(admin_client_logged, upload_dir):
    token = preview(admin_client_logged, TINY_POS).context["staged"].token
    response = admin_client_logged.post(IMPORT_URL, {"action": "cancel", "token": token})
    assert response.status_code == 302
    assert "cancelled" in message_texts(response)[0]
    assert stored_files(upload_dir) == []
    assert Release.objects.count() == 0 and PlaceOfService.objects.count() == 0


def test_same_file_twice_previews_as_no_change(admin_client_logged):
    token = preview(admin_client_logged, TINY_POS).context["staged"].token
    admin_client_logged.post(IMPORT_URL, {"action": "confirm", "token": token})
    html = preview(admin_client_logged, TINY_POS).content.decode()
    assert "Same file already imported: nothing would change." in html


def test_a_bad_file_shows_line_and_field_keeps_the_form_and_imports_nothing(admin_client_logged, upload_dir):
    bad = POS_HEADER + '"11","Non-Facility","Office","Office"\n"7x","Facility","Hospital","Hospital"\n'
    response = preview(admin_client_logged, bad, label="my label")
    assert response.status_code == 200
    errors = response.context["form"].errors["file"]
    assert errors == [
        "pos_codes_2024-06.csv, line 3, field 'pos_code': '7x' is not a two-digit place of service "
        "code (nothing was imported)"
    ]
    html = response.content.decode()
    assert "line 3, field &#x27;pos_code&#x27;" in html
    assert 'value="my label"' in html and 'value="pos" selected' in html
    assert "Confirm import" not in html
    assert stored_files(upload_dir) == [] and Release.objects.count() == 0 and PlaceOfService.objects.count() == 0


def test_an_empty_file_is_refused(admin_client_logged, upload_dir):
    response = preview(admin_client_logged, b"")
    assert response.context["form"].errors["file"]  # Django refuses empty uploads before the importer runs
    assert stored_files(upload_dir) == [] and Release.objects.count() == 0


def test_someone_elses_or_a_made_up_token_is_refused(admin_client_logged, client, django_user_model, upload_dir):
    token = preview(admin_client_logged, TINY_POS).context["staged"].token
    other = django_user_model.objects.create_superuser("other", "o@example.org", "x")
    client.force_login(other)
    for bad in [token, "../../etc", "0" * 32]:
        response = client.post(IMPORT_URL, {"action": "confirm", "token": bad})
        assert "no longer available" in message_texts(response)[-1]
    assert Release.objects.count() == 0
    assert len(stored_files(upload_dir)) == 2  # the owner's upload is untouched


def test_abandoned_previews_are_purged_after_a_day(admin_client_logged, upload_dir):
    import os
    import time

    old = preview(admin_client_logged, TINY_POS).context["staged"]
    stale = time.time() - 2 * 24 * 3600
    os.utime(old.directory, (stale, stale))
    fresh = preview(admin_client_logged, TINY_POS).context["staged"]
    assert not old.directory.exists()
    assert fresh.directory.exists()


# --- a test-only importer plugged into the registry -----------------------------------------------


class TinyImporter(BaseImporter):
    """Reads 'code,name' lines into places of service; for testing the page independently of CMS formats."""

    source = Source.POS

    def detect_release(self):
        from datetime import date

        return "tiny", date(2024, 1, 1)

    def load(self, release, previous):
        rows = [line.split(",") for line in self.path.read_text().splitlines()]
        for number, row in enumerate(rows, 1):
            if len(row) != 2:
                raise self.error("expected code,name", line=number, field="name")
            PlaceOfService.objects.create(code=row[0], name=row[1], facility_type="facility", release=release)
        return Counts(added=len(rows), total=len(rows))


@pytest.fixture
def tiny_kind():
    kind = registry.register(registry.ImportKind("tiny", "Tiny test file", f"{__name__}.TinyImporter"))
    yield kind
    registry.unregister("tiny")


def test_any_registered_kind_is_offered_and_run(admin_client_logged, tiny_kind):
    response = preview(admin_client_logged, "11,Office\n12,Home\n", name="tiny.csv", kind="tiny")
    assert "imported places_of_service tiny: added 2" in response.content.decode()
    assert PlaceOfService.objects.count() == 0
    admin_client_logged.post(IMPORT_URL, {"action": "confirm", "token": response.context["staged"].token})
    assert PlaceOfService.objects.count() == 2


def test_a_kind_whose_importer_is_missing_says_so(admin_client_logged, upload_dir):
    registry.register(registry.ImportKind("ghost", "Ghost", "codes.importers.no_such_module.NoImporter"))
    try:
        response = preview(admin_client_logged, TINY_POS, kind="ghost")
    finally:
        registry.unregister("ghost")
    assert response.context["form"].errors["kind"] == ["The importer for this kind of file is not installed."]
    assert stored_files(upload_dir) == []


@pytest.mark.parametrize("key", list(registry.KINDS))
def test_every_registered_kind_names_an_importer(key):
    kind = registry.get_kind(key)
    module = kind.importer.rsplit(".", 1)[0]
    pytest.importorskip(module, reason=f"{module} is not written yet")
    assert issubclass(kind.importer_class(), BaseImporter)


# --- the real CMS file ----------------------------------------------------------------------------


@pytest.mark.shared_data
def test_preview_and_confirm_the_real_pos_file(admin_client_logged):
    path = shared_file("place_of_service/pos_codes_2024-06.csv")
    response = preview(admin_client_logged, path.read_bytes(), name=path.name)
    assert "imported places_of_service 2024-06: added 99, changed 0, terminated 0, unchanged 0, total 99" in (
        response.content.decode()
    )
    assert PlaceOfService.objects.count() == 0
    admin_client_logged.post(IMPORT_URL, {"action": "confirm", "token": response.context["staged"].token})
    assert PlaceOfService.objects.count() == 99
    assert Release.objects.get(source=Source.POS).total == 99
