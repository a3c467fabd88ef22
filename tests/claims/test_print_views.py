"""Printing a claim as a CMS-1500 PDF from its page: who may, what they get, the file name, the trail."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from pypdf import PdfReader

from audit.models import AuditEvent

from .factories import make_claim, make_line, make_patient

pytestmark = pytest.mark.django_db


def print_url(claim, variant: str | None = None) -> str:
    url = reverse("claims:claim_cms1500", args=[claim.pk])
    return f"{url}?variant={variant}" if variant else url


@pytest.fixture
def claim(biller):
    patient = make_patient(last_name="Quigley", first_name="Odessa", date_of_birth=date(1961, 7, 14))
    return make_claim(biller, patient=patient)


@pytest.mark.parametrize("variant", ["data", "full"])
def test_the_biller_downloads_the_form_as_a_pdf(biller_client, claim, variant):
    response = biller_client.get(print_url(claim, variant))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{claim.number}-cms1500-{variant}.pdf"'
    reader = PdfReader(io.BytesIO(response.content))
    text = reader.pages[0].extract_text()
    assert claim.member_id in text and "QUIGLEY, ODESSA" in text
    assert ("HEALTH INSURANCE CLAIM FORM" in text) is (variant == "full")


def test_neither_the_address_nor_the_file_name_carries_patient_data(biller_client, claim):
    response = biller_client.get(print_url(claim, "data"))
    where = (print_url(claim, "data") + response["Content-Disposition"]).upper()
    for private in (claim.member_id, "QUIGLEY", "ODESSA", "1961", "07/14", "07-14", "0714"):
        assert private.upper() not in where, private
    assert PdfReader(io.BytesIO(response.content)).metadata.title == f"CMS-1500 {claim.number}"


def test_printing_is_on_the_trail(biller_client, biller, claim):
    biller_client.get(print_url(claim, "full"))
    event = AuditEvent.objects.get(action="claim.printed", claim_id=claim.pk)
    assert (event.actor, event.data["variant"]) == (biller, "full")
    assert event.summary == f"printed CMS-1500 of {claim.number} (full)"
    assert "QUIGLEY" not in event.summary.upper()


@pytest.mark.parametrize("query", ["", "blank", "DATA"])
def test_an_unknown_variant_says_which_ones_there_are_and_prints_nothing(biller_client, claim, query):
    response = biller_client.get(print_url(claim, query))
    assert response.status_code == 400
    assert "data: data only, for pre-printed forms" in response.content.decode()
    assert not AuditEvent.objects.filter(action="claim.printed").exists()


def test_a_supervisor_prints_any_billers_claim(supervisor_client, claim):
    assert supervisor_client.get(print_url(claim, "data")).status_code == 200


def test_another_biller_and_outsiders_cannot_print_it(client, claim, other_biller, outsider):
    client.force_login(other_biller)
    assert client.get(print_url(claim, "data")).status_code == 404
    client.force_login(outsider)
    assert client.get(print_url(claim, "data")).status_code == 403
    client.logout()
    response = client.get(print_url(claim, "data"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert not AuditEvent.objects.filter(action="claim.printed").exists()


def test_a_claim_the_form_cannot_hold_goes_back_to_its_page_with_the_reason(biller_client, biller):
    claim = make_claim(biller, lines=[make_line("99213", charge=Decimal("250000.00"))])
    response = biller_client.get(print_url(claim, "data"), follow=True)
    assert response.redirect_chain == [(reverse("claims:claim_detail", args=[claim.pk]), 302)]
    assert "cannot be printed on the CMS-1500: Box 24F of line 1: 250000.00" in response.content.decode()
    assert not AuditEvent.objects.filter(action="claim.printed").exists()


def test_printing_is_a_get_only_download(biller_client, claim):
    assert biller_client.post(print_url(claim, "data")).status_code == 405


def test_the_claim_page_offers_both_forms(biller_client, claim):
    html = biller_client.get(reverse("claims:claim_detail", args=[claim.pk])).content.decode()
    assert 'data-testid="print-cms1500"' in html
    for variant in ("data", "full"):
        assert f'href="{print_url(claim, variant)}" data-variant="{variant}"' in html
