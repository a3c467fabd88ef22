"""Odd and hostile input to the code look-up (list search, autocomplete, the code page) and to the codes
forms: a page or a 404, never a server error; lone surrogates refused at the field (issue 10)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from hypothesis import example, given
from hypothesis import strategies as st

from codes.filtersets import ProcedureCodeFilterSet
from codes.forms import ImportUploadForm
from codes.models import ProcedureCode
from tests.claims.hostile import HOSTILE_SETTINGS

from .factories import make_code

pytestmark = pytest.mark.django_db

ODD_PATHS = [
    "/codes/" + "9" * 5000 + "/",  # very long
    "/codes/%ED%A0%80/",  # a lone surrogate, as UTF-8 bytes
    "/codes/%00/",  # NUL
    "/codes/%FF%FE/",  # not UTF-8
    "/codes/%25%25%25/",  # percent-encoded junk
    "/codes/%E2%80%AE3129/",  # right-to-left override
    "/codes/..%2F..%2Fetc%2Fpasswd/",
    "/codes/<script>/",
]


@pytest.fixture
def looker(biller):
    client = Client()
    client.raise_request_exception = False  # a server error shows as a 500 answer
    client.force_login(biller)
    make_code("99213", label="Office visit, established patient, low complexity")
    return client


@pytest.mark.parametrize("path", ODD_PATHS)
def test_the_code_page_answers_odd_paths_with_not_found(looker, path):
    response = looker.get(path)
    assert response.status_code == 404, (path, response.status_code)
    html = response.content.decode()
    assert "not found" in html
    assert "<script>" not in html.split("<body", 1)[1].split("</main>", 1)[0] or "&lt;script&gt;" in html


def test_a_very_long_code_is_shown_cut_short(looker):
    response = looker.get("/codes/" + "A" * 5000 + "/")
    assert response.status_code == 404
    assert "A" * 100 not in response.content.decode()


def test_the_real_code_page_still_works(looker):
    response = looker.get(reverse("codes:code_detail", args=["99213"]))
    assert response.status_code == 200


@pytest.mark.parametrize(
    "query",
    [
        "?q=%00",
        "?q=99%0013",
        "?q=%ED%A0%80",
        "?q=" + "x" * 10_000,
        "?q=%25_%5C",
        "?on=9999-12-31&status=active",
        "?on=0001-01-01&status=terminated",
        "?on=%00",
        "?section=%00",
        "?system=%00",
        "?is_add_on=%00",
        "?sort=%00",
        "?page=99999999999999999999",
        "?page=%00",
    ],
)
def test_the_code_list_answers_odd_searches(looker, query):
    response = looker.get(reverse("codes:code_list") + query)
    assert response.status_code in (200, 404), (query, response.status_code)


@pytest.mark.parametrize(
    "query",
    ["?q=%00", "?q=99%0013", "?lines-0-code=%00&dos=%00", "?q=992&dos=9999-12-31", "?q=992&dos=%ED%A0%80",
     "?q=" + "9" * 10_000, "?q=992&lines-1-date_of_service=99999-01-01"],
)
def test_the_autocomplete_answers_odd_input(looker, query):
    response = looker.get(reverse("codes:code_autocomplete") + query)
    assert response.status_code == 200, (query, response.status_code)


def test_a_search_with_nul_finds_nothing_instead_of_failing(looker):
    response = looker.get(reverse("codes:code_list") + "?q=99%00")
    assert response.status_code == 200
    assert "form" in response.context and response.context["filter"].form.errors["q"]


def test_the_filter_form_refuses_lone_surrogates_at_the_field():
    filterset = ProcedureCodeFilterSet({"q": "99\ud800"}, queryset=ProcedureCode.objects.all())
    assert not filterset.form.is_valid()
    assert "unpaired surrogate" in str(filterset.form.errors["q"])
    str(filterset.form["q"]).encode("utf-8")  # shown again without failing


def test_the_status_date_is_kept_within_1900_2100():
    filterset = ProcedureCodeFilterSet({"on": "9999-12-31"}, queryset=ProcedureCode.objects.all())
    assert not filterset.form.is_valid()
    assert "outside the dates accepted" in str(filterset.form.errors["on"])


def test_the_upload_form_refuses_lone_surrogates_and_far_dates():
    upload = SimpleUploadedFile("pos_codes_2024-06.csv", b"x")
    form = ImportUploadForm(
        {"kind": "pos", "label": "2026\udc00", "effective_date": "9999-12-31"}, {"file": upload}
    )
    assert not form.is_valid()
    assert "unpaired surrogate" in str(form.errors["label"])
    assert "outside the dates accepted" in str(form.errors["effective_date"])


@HOSTILE_SETTINGS
@given(text=st.text(max_size=60), dos=st.text(max_size=20))
@example(text="\x00", dos="\x00")
@example(text="9" * 300, dos="9999-12-31")
def test_any_typed_text_gets_a_page(looker, text, dos):
    for url, params in (
        (reverse("codes:code_list"), {"q": text, "on": dos}),
        (reverse("codes:code_autocomplete"), {"q": text, "dos": dos}),
    ):
        response = looker.get(url, params)
        assert response.status_code == 200, (url, params, response.status_code)


ADMIN_LISTS = [
    "/admin/codes/procedurecode/",
    "/admin/codes/release/",
    "/admin/codes/modifier/",
    "/admin/codes/placeofservice/",
    "/admin/codes/feescheduleindicator/",
    "/admin/codes/ptpedit/",
    "/admin/codes/muelimit/",
    "/admin/codes/addonedit/",
    "/admin/codes/asplimit/",
    "/admin/codes/ndccrosswalk/",
]


@pytest.mark.parametrize("url", ADMIN_LISTS)
@pytest.mark.parametrize("query", ["?q=%00", "?q=99%0013", "?q=%ED%A0%80", "?q=" + "x" * 3000])
def test_admin_searches_of_the_reference_tables_never_fail(admin_user, url, query):
    # (Django's admin search form refuses NUL itself; this keeps it so on PostgreSQL.)
    client = Client()
    client.raise_request_exception = False
    client.force_login(admin_user)
    make_code("99213")
    response = client.get(url + query)
    assert response.status_code == 200, (url, query, response.status_code)
