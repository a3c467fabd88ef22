"""Admin of clearinghouses (settings grouped by ISA/GS, submitter, receiver, control numbers never lowered)
and of the 837P files written (read-only)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from edi.models import Clearinghouse
from edi.services import interchange_export

from .export_helpers import make_clearinghouse, ready

pytestmark = pytest.mark.django_db


def form_data(house: Clearinghouse, **changes) -> dict:
    fields = ("name", "usage", "sender_qualifier", "sender_id", "receiver_qualifier", "receiver_id", "submitter_name",
              "submitter_etin", "contact_name", "contact_phone", "receiver_name", "receiver_etin",
              "last_interchange_control_number", "last_group_control_number")
    data = {name: getattr(house, name) for name in fields}
    data.update(active="on", application_sender="", application_receiver="", contact_email="")
    data.update(changes)
    return data


def test_the_change_page_groups_the_settings(admin_client_logged):
    house = make_clearinghouse()
    page = admin_client_logged.get(reverse("admin:edi_clearinghouse_change", args=[house.pk])).content.decode()
    for heading in ("Interchange and group (ISA, GS)", "Submitter (1000A)", "Receiver (1000B)", "Control numbers"):
        assert heading in page


def test_control_numbers_may_be_raised_but_never_lowered(admin_client_logged):
    house = make_clearinghouse(last_interchange_control_number=10, last_group_control_number=10)
    url = reverse("admin:edi_clearinghouse_change", args=[house.pk])
    response = admin_client_logged.post(url, form_data(house, last_interchange_control_number=9))
    assert response.status_code == 200 and "Control numbers are never lowered" in response.content.decode()
    house.refresh_from_db()
    assert house.last_interchange_control_number == 10
    response = admin_client_logged.post(url, form_data(house, last_interchange_control_number=500))
    assert response.status_code == 302
    house.refresh_from_db()
    assert house.last_interchange_control_number == 500


def test_an_export_continues_from_numbers_raised_in_the_admin(admin_client_logged, supervisor, biller):
    house = make_clearinghouse()
    admin_client_logged.post(reverse("admin:edi_clearinghouse_change", args=[house.pk]),
                             form_data(house, last_interchange_control_number=700, last_group_control_number=70))
    interchange = interchange_export(claims=[ready(biller)], clearinghouse=house, user=supervisor)
    assert (interchange.control_number, interchange.group_control_number) == (701, 71)


def test_files_written_are_read_only_in_the_admin(admin_client_logged, supervisor, biller):
    interchange = interchange_export(claims=[ready(biller)], clearinghouse=make_clearinghouse(), user=supervisor)
    change = admin_client_logged.get(reverse("admin:edi_interchange_change", args=[interchange.pk]))
    page = change.content.decode()
    assert change.status_code == 200 and interchange.sha256 in page and interchange.get_absolute_url() in page
    assert "ISA*" not in page  # the content is downloaded from the app's page, on the trail
    assert admin_client_logged.get(reverse("admin:edi_interchange_add")).status_code == 403
    assert admin_client_logged.get(reverse("admin:edi_interchange_delete", args=[interchange.pk])).status_code == 403


def test_a_form_opened_before_an_export_does_not_lower_its_numbers(rf, admin_user, supervisor, biller):
    from django.contrib.admin.sites import site
    from django.contrib.messages.storage.fallback import FallbackStorage

    house = make_clearinghouse()
    stale = Clearinghouse.objects.get(pk=house.pk)  # the form was opened here, at 0
    interchange_export(claims=[ready(biller)], clearinghouse=house, user=supervisor)  # takes number 1
    request = rf.post("/")
    request.user = admin_user
    request.session = {}
    request._messages = FallbackStorage(request)
    stale.contact_name = "New Contact"
    site._registry[Clearinghouse].save_model(request, stale, form=None, change=True)
    house.refresh_from_db()
    assert (house.contact_name, house.last_interchange_control_number, house.last_group_control_number) == (
        "New Contact", 1, 1)
    assert "kept at 1" in str(list(request._messages)[0])
