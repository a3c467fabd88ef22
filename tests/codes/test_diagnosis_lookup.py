"""The diagnosis (ICD-10-CM) look-up: GET /codes/diagnoses/?q=...&dos=... (an htmx partial), and its selector."""

from __future__ import annotations

import re
from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from codes.selectors import diagnosis_search, icd10cm_edition_for

from .test_icd10cm import FY2024, FY2025, order_text

pytestmark = pytest.mark.django_db

URL = reverse("codes:diagnosis_lookup")


@pytest.fixture
def editions(tmp_path):
    for year, rows in ((2024, FY2024), (2025, FY2025)):
        path = tmp_path / f"icd10cm_order_{year}.txt"
        path.write_text(order_text(rows), encoding="utf-8")
        call_command("import_icd10cm", str(path), stdout=StringIO())


def offered(response) -> list[tuple[str, str]]:
    """(code, billable 1/0) of each option offered, in order."""
    assert response.status_code == 200
    return re.findall(r'data-code-option="([^"]+)" data-billable="([01])"', response.content.decode())


def test_anonymous_users_are_sent_to_login(client, editions):
    response = client.get(URL, {"q": "obesity"})
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_the_route_is_not_taken_for_a_code_by_the_detail_page():
    assert URL == "/codes/diagnoses/"


def test_words_find_codes_of_the_edition_of_the_date_of_service(biller_client, editions):
    response = biller_client.get(URL, {"q": "obesity", "dos": "2024-11-04"})
    assert offered(response) == [("E66", "0"), ("E66.8", "0"), ("E66.81", "0"), ("E66.811", "1"), ("E66.812", "1"),
                                 ("E66.89", "1")]  # fmt: skip
    html = response.content.decode()
    assert "Obesity, class 1" in html
    assert "Header, not billable" in html and "Billable" in html
    assert "ICD-10-CM FY2025, for dates of service 2024-10-01 to 2025-09-30" in html


def test_the_same_words_in_an_earlier_fiscal_year(biller_client, editions):
    response = biller_client.get(URL, {"q": "obesity", "dos": "2024-05-15"})
    assert offered(response) == [("E66", "0"), ("E66.8", "1")]  # E66.8 was billable until 2024-09-30


def test_a_code_beginning_comes_first_dot_or_not(biller_client, editions):
    for text in ("e66.8", "E668"):
        response = biller_client.get(URL, {"q": text, "dos": "2025-01-02"})
        assert [code for code, _ in offered(response)][:3] == ["E66.8", "E66.81", "E66.811"], text


def test_all_the_words_must_match(biller_client, editions):
    response = biller_client.get(URL, {"q": "laceration initial", "dos": "2025-01-02"})
    assert offered(response) == [("S01.81XA", "1")]


def test_a_fiscal_year_without_an_edition_is_said_plainly(biller_client, editions):
    response = biller_client.get(URL, {"q": "obesity", "dos": "2025-10-01"})
    html = response.content.decode()
    assert offered(response) == []
    assert 'data-no-edition="2026"' in html
    assert "No ICD-10-CM edition is loaded for fiscal year 2026 (2025-10-01 to 2026-09-30)" in html


def test_nothing_matches(biller_client, editions):
    response = biller_client.get(URL, {"q": "zebra", "dos": "2025-01-02"})
    assert offered(response) == []
    assert "No ICD-10-CM code of FY2025 matches “zebra”." in response.content.decode()


def test_fewer_than_two_characters_answer_nothing(biller_client, editions):
    response = biller_client.get(URL, {"q": "e", "dos": "2025-01-02"})
    assert response.status_code == 200
    assert response.content.decode().strip() == ""


def test_a_diagnosis_field_name_is_read_like_q(biller_client, editions):
    response = biller_client.get(URL, {"diagnosis_1": "cough", "date_of_service": "2024-12-01"})
    assert offered(response) == [("R05", "0"), ("R05.1", "1")]


def test_hostile_text_is_answered_without_a_match(biller_client, editions):
    for text in ("\x00E66", "x" * 5000, "%%", "__"):
        response = biller_client.get(URL, {"q": text, "dos": "2025-01-02"})
        assert response.status_code == 200
        assert offered(response) == []


def test_the_selector_ranks_exact_then_prefix_then_words(editions):
    edition = icd10cm_edition_for(date(2025, 1, 2))
    assert [row.code for row in diagnosis_search(edition, "R05")] == ["R05", "R051"]
    assert [row.code for row in diagnosis_search(edition, "obesity", limit=2)] == ["E66", "E668"]
    assert diagnosis_search(edition, "") == []
