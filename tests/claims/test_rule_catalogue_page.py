"""The rule catalogue page lists the registry itself, so it cannot drift from the code."""

from __future__ import annotations

from html import unescape

import pytest
from django.urls import reverse
from django.utils.html import strip_tags

from claims.choices import Category
from claims.rules import load_rule_modules, registry

pytestmark = pytest.mark.django_db

URL = reverse("claims:rule_list")


def listed(response) -> list[str]:
    return [row["rule"].id for row in response.context["rows"]]


def test_url_and_login_required(client):
    assert URL == "/claims/rules/"
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_every_registered_rule_appears_with_its_metadata(biller_client):
    load_rule_modules()
    response = biller_client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    rules = registry.all()
    assert len(rules) > 0
    assert sorted(listed(response)) == sorted(rule.id for rule in rules)
    for rule in rules:
        assert f'data-rule="{rule.id}"' in html
        row = html.split(f'data-rule="{rule.id}"', 1)[1].split("</tr>", 1)[0]
        text = unescape(strip_tags(row))
        assert Category(rule.category).label in text
        assert rule.severity in text
        assert rule.title in text
        assert rule.source in text
        if rule.doc:
            assert rule.doc.splitlines()[0] in text
        if rule.carc:
            assert rule.carc in row
        if rule.rarc:
            assert rule.rarc in row


def test_rule_shows_title_docstring_payers_and_source(biller_client):
    response = biller_client.get(URL)
    html = response.content.decode()
    row = html.split('data-rule="COD-EFFECTIVE"', 1)[1].split("</tr>", 1)[0]
    assert "Procedure code not valid on the date of service" in row
    assert "not valid on the line&#x27;s date of service" in row
    assert "CMS HCPCS Level II quarterly file" in row
    assert "181 / N56" in row
    assert "All payers" in row
    # COD-EFFECTIVE needs no table (it says per line what it could not judge); COD-HCPCS-COV needs the code set
    assert "Needs:" not in row
    coverage = html.split('data-rule="COD-HCPCS-COV"', 1)[1].split("</tr>", 1)[0]
    assert "Needs: HCPCS / CPT code set" in coverage


def test_filter_by_category(biller_client):
    load_rule_modules()
    response = biller_client.get(URL, {"category": "CODE_VALIDITY"})
    assert response.status_code == 200
    assert listed(response) and set(listed(response)) == {
        rule.id for rule in registry.all() if rule.category == "CODE_VALIDITY"
    }
    assert response.context["category"] == "CODE_VALIDITY"


def test_unknown_category_shows_everything(biller_client):
    response = biller_client.get(URL, {"category": "NOPE"})
    assert response.status_code == 200
    assert len(listed(response)) == len(registry)
    assert response.context["category"] == ""


def test_nav_links_to_the_page(biller_client):
    response = biller_client.get(URL)
    assert f'href="{URL}"' in response.content.decode()
