"""The practice's providers: validation, the demo list, who may keep it, and the entry form's pickers."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse

from claims.choices import ClaimStatus, ProviderKind
from claims.management.commands.load_demo_providers import DEMO_PROVIDERS
from claims.models import Provider
from claims.roles import BILLING_STAFF, ROLE_PERMISSIONS, SUPERVISORS

from .factories import make_claim

pytestmark = pytest.mark.django_db

NEW = reverse("claims:claim_new")


def make_provider(name="Dr. Ana Lopez, MD", npi="1234567893", kind=ProviderKind.CLINICIAN, **fields) -> Provider:
    values = {"specialty": "11" if kind == ProviderKind.CLINICIAN else "", "group_tin": "311234567", **fields}
    return Provider.objects.create(name=name, npi=npi, kind=kind, **values)


def picker(html: str, kind: str) -> str:
    match = re.search(rf'<select[^>]*data-provider-pick="{kind}".*?</select>', html, re.S)
    return match.group(0) if match else ""


# --- the model ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("npi", "1234567890", "is not a valid NPI"),  # check digit fails
        ("npi", "3234567893", "is not a valid NPI"),  # must start with 1 or 2
        ("npi", "12345", "is not a valid NPI"),
        ("group_tin", "31-123", "A tax ID has 9 digits."),
        ("specialty", "1", "A CMS specialty code has two characters"),
    ],
)
def test_a_provider_with_a_bad_identifier_is_refused_with_the_reason(field, value, message):
    provider = Provider(
        name="Dr. X", kind=ProviderKind.CLINICIAN, npi="1234567893", specialty="11", group_tin="311234567"
    )
    setattr(provider, field, value)
    with pytest.raises(ValidationError) as error:
        provider.full_clean()
    assert any(message in text for text in error.value.message_dict[field])


def test_an_npi_is_on_the_list_once():
    make_provider(npi="1234567893")
    duplicate = Provider(name="Dr. Y", kind=ProviderKind.CLINICIAN, npi="1234567893", group_tin="311234567")
    with pytest.raises(ValidationError) as error:
        duplicate.full_clean()
    assert "npi" in error.value.message_dict


# --- demo providers ---------------------------------------------------------------------------------------
def test_demo_providers_are_valid_and_loading_them_twice_changes_nothing():
    call_command("load_demo_providers", stdout=StringIO())
    edited = Provider.objects.get(npi=DEMO_PROVIDERS[0][2])
    edited.name = "Renamed by the administrator"
    edited.save()
    out = StringIO()
    call_command("load_demo_providers", stdout=out)
    assert Provider.objects.count() == len(DEMO_PROVIDERS)
    assert "already there" in out.getvalue()
    assert Provider.objects.get(npi=DEMO_PROVIDERS[0][2]).name == "Renamed by the administrator"
    for provider in Provider.objects.all():
        provider.full_clean()  # the demo NPIs pass the check digit
    assert {provider.kind for provider in Provider.objects.all()} == set(ProviderKind.values)
    from audit.models import AuditEvent

    created = AuditEvent.objects.filter(action="provider.created")
    assert created.count() == len(DEMO_PROVIDERS) and {e.actor_name for e in created} == {"System"}


# --- who keeps the list ----------------------------------------------------------------------------------
def test_supervisors_keep_the_list_and_billers_only_see_it():
    assert {"claims.add_provider", "claims.change_provider"} <= set(ROLE_PERMISSIONS[SUPERVISORS])
    assert "claims.view_provider" in ROLE_PERMISSIONS[BILLING_STAFF]
    assert not {"claims.add_provider", "claims.change_provider"} & set(ROLE_PERMISSIONS[BILLING_STAFF])


def test_admin_adds_a_provider_and_a_bad_npi_is_refused(admin_client_logged):
    url = reverse("admin:claims_provider_add")
    data = {"name": "Dr. Ana Lopez, MD", "kind": "clinician", "npi": "1234567890", "specialty": "11"}
    data["group_tin"] = "311234567"
    data["active"] = "on"
    response = admin_client_logged.post(url, data)
    assert response.status_code == 200
    assert "1234567890 is not a valid NPI" in response.content.decode()
    assert not Provider.objects.exists()
    response = admin_client_logged.post(url, {**data, "npi": "1234567893"})
    assert response.status_code == 302
    assert Provider.objects.get().npi == "1234567893"
    listing = admin_client_logged.get(reverse("admin:claims_provider_changelist"), {"q": "lopez"})
    assert "Dr. Ana Lopez, MD" in listing.content.decode()


# --- the entry form's pickers -------------------------------------------------------------------------------
def test_entry_offers_active_clinicians_and_billing_groups_with_what_they_fill(biller_client):
    lopez = make_provider()
    make_provider("Dr. Retired", npi="1999999992", active=False)
    group = make_provider("Family Practice Group", npi="1666666668", kind=ProviderKind.ORGANISATION)
    html = biller_client.get(NEW).content.decode()
    rendering, billing = picker(html, "rendering"), picker(html, "billing")
    assert re.search(
        rf'<option value="{lopez.pk}" data-npi="1234567893" data-specialty="11" data-tin="311234567">', rendering
    )
    assert "Dr. Ana Lopez, MD · NPI 1234567893 · specialty 11" in rendering
    assert "Dr. Retired" not in html  # inactive providers are not offered
    assert "Family Practice Group" not in rendering
    assert re.search(rf'<option value="{group.pk}" data-npi="1666666668" data-tin="311234567">', billing)
    assert "Dr. Ana Lopez" not in billing
    assert 'name="' not in rendering + billing  # pickers fill the fields; they are not posted


def test_editing_a_claim_shows_its_providers_picked(biller_client, biller):
    make_provider()
    other = make_provider("Dr. Other", npi="1555555550")
    group = make_provider("Family Practice Group", npi="1666666668", kind=ProviderKind.ORGANISATION)
    claim = make_claim(biller, rendering_npi="1555555550", billing_npi="1666666668", status=ClaimStatus.DRAFT)
    html = biller_client.get(reverse("claims:claim_edit", args=[claim.pk])).content.decode()
    assert re.findall(r'<option value="(\d+)"[^>]* selected>', picker(html, "rendering")) == [str(other.pk)]
    assert re.findall(r'<option value="(\d+)"[^>]* selected>', picker(html, "billing")) == [str(group.pk)]


def test_without_providers_there_is_no_picker(biller_client):
    html = biller_client.get(NEW).content.decode()
    assert "data-provider-pick" not in html
    assert 'name="rendering_npi"' in html  # the NPIs are typed instead


def test_claim_page_names_the_listed_providers_of_its_npis(biller_client, biller):
    make_provider("Dr. Ana Lopez, MD", npi="1555555550", active=False)  # a provider who left still has a name
    claim = make_claim(biller, rendering_npi="1555555550", billing_npi="1234567893")
    html = biller_client.get(reverse("claims:claim_detail", args=[claim.pk])).content.decode()
    names = re.findall(r"<span class=\"d-block small\" data-provider>([^<]+)</span>", html)
    assert names == ["Dr. Ana Lopez, MD"]  # the billing NPI is not on the list: shown as typed only
    assert "1234567893" in html
