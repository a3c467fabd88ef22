"""The audit trail in the admin: superusers and holders of audit.view_auditevent read; nobody writes."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from audit.models import AuditEvent
from audit.services import event_record

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:audit_auditevent_changelist")


@pytest.fixture
def event(django_user_model) -> AuditEvent:
    maria = django_user_model.objects.create_user("mlopez", first_name="Maria", last_name="Lopez")
    return event_record(
        action="claim.changed",
        actor=maria,
        object_type="claim",
        object_id=7,
        claim_id=7,
        summary="changed claim 7",
        changes=[["line 2 code", "96372", "96374"]],
        data={"units": 2},
    )


def change_url(event: AuditEvent) -> str:
    return reverse("admin:audit_auditevent_change", args=[event.pk])


def test_the_changelist_lists_the_events(admin_client_logged, event):
    response = admin_client_logged.get(CHANGELIST)
    assert response.status_code == 200
    html = response.content.decode()
    assert "changed claim 7" in html and "Maria Lopez" in html and "claim.changed" in html


def test_the_changelist_searches_and_filters(admin_client_logged, event):
    event_record(action="release.imported", object_type="release", object_id=3, summary="imported POS release")
    found = admin_client_logged.get(CHANGELIST, {"q": "Lopez"}).context["cl"].result_list
    assert list(found) == [event]
    filtered = admin_client_logged.get(CHANGELIST, {"object_type": "release"}).context["cl"].result_list
    assert [e.action for e in filtered] == ["release.imported"]


def test_nothing_can_be_added_or_deleted(admin_client_logged, event):
    response = admin_client_logged.get(CHANGELIST)
    assert not response.context["has_add_permission"]
    assert "delete_selected" not in response.content.decode()
    assert admin_client_logged.get(reverse("admin:audit_auditevent_add")).status_code == 403
    delete_url = reverse("admin:audit_auditevent_delete", args=[event.pk])
    assert admin_client_logged.get(delete_url).status_code == 403
    assert admin_client_logged.post(delete_url, {"post": "yes"}).status_code == 403
    bulk = {"action": "delete_selected", "_selected_action": [event.pk], "post": "yes"}
    admin_client_logged.post(CHANGELIST, bulk)
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_the_change_page_is_a_read_only_view(admin_client_logged, event):
    response = admin_client_logged.get(change_url(event))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="_save"' not in html and 'name="_continue"' not in html
    assert response.context["adminform"].form.fields == {}  # every field is shown as text, none as an input
    assert "Maria Lopez changed line 2 code from 96372 to 96374" in html
    assert event.hash in html and event.previous_hash in html
    before = AuditEvent.objects.get(pk=event.pk).summary
    assert admin_client_logged.post(change_url(event), {"summary": "nothing happened"}).status_code == 403
    assert AuditEvent.objects.get(pk=event.pk).summary == before


def test_staff_need_the_view_permission(client, django_user_model, event):
    staff = django_user_model.objects.create_user("staffer", is_staff=True)
    client.force_login(staff)
    assert client.get(CHANGELIST).status_code == 403
    staff.user_permissions.add(Permission.objects.get(codename="view_auditevent"))
    assert client.get(CHANGELIST).status_code == 200
    assert client.get(change_url(event)).status_code == 200


def test_supervisors_do_not_browse_the_trail_in_the_admin(supervisor_client):
    response = supervisor_client.get(CHANGELIST)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
