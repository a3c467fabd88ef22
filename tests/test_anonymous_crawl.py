"""An anonymous visitor crawls every URL of the site, with GET and with POST: nothing but the sign-in pages.

Every answer is a redirect to a login page, a JSON 401/403/405 from the API, a 404 or a 405, or a page of a
view marked open (``login_not_required``) that shows no claim data; never a server error, and never Django's
debug page with its list of URL patterns.
"""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from tests.claims.factories import make_claim, make_patient
from tests.codes.factories import make_code
from tests.crawl import PATIENT, site_urls

pytestmark = pytest.mark.django_db

DEBUG_PAGE_MARKERS = (b"URLconf", b"Django tried these URL patterns", b"Traceback", b"technical_500")


@pytest.fixture
def crawled(biller):
    make_code("99213")
    claim = make_claim(biller, patient=make_patient(**PATIENT))
    return site_urls(claim_pk=claim.pk)


def _leaks(response) -> list[str]:
    body = b"".join(response) if response.streaming else response.content
    return [value for value in PATIENT.values() if value.encode() in body] + [
        marker.decode() for marker in DEBUG_PAGE_MARKERS if marker in body
    ]


def _verdict(url, method: str, response) -> str | None:
    """None when the answer is one an anonymous visitor may get, else what is wrong with it."""
    status = response.status_code
    if leaks := _leaks(response):
        return f"shows {leaks}"
    if status >= 500:
        return f"server error {status}"
    if status in (301, 302, 303, 307, 308):
        target = response["Location"].split("?")[0]
        allowed = {reverse("login"), reverse("admin:login"), reverse("admin:index")}
        return None if target in allowed else f"redirects to {target}, not to a login page"
    if url.path.startswith("/api/"):
        if status not in (401, 403, 405):
            return f"API answered {status}"
        if response["Content-Type"] != "application/json":
            return f"API answered {response['Content-Type']}"
        json.loads(response.content)
        return None
    if status in (403, 404, 405):
        return None
    if status == 200 and url.public:
        return None
    return f"answered {status}" + (" on a view that needs a login" if status == 200 else "")


def test_every_url_answers_an_anonymous_visitor_with_a_login_or_a_refusal(client, crawled):
    problems = []
    for url in crawled:
        for method in ("get", "post"):
            response = getattr(client, method)(url.path)
            if verdict := _verdict(url, method, response):
                problems.append(f"{method.upper()} {url}: {verdict}")
    assert problems == []


def test_the_crawl_covers_the_whole_site(crawled):
    """The crawl is read from the URLconf: the app's pages, the API and the admin's are all in it."""
    names = {url.name for url in crawled}
    assert {"claims:claim_detail", "claims:api_scrub", "codes:code_detail", "admin:codes_release_import"} <= names
    assert any(name.startswith("(unnamed) admin/") for name in names)
    assert "login" in {url.name for url in crawled if url.public}
    assert len(crawled) > 100


def test_an_unknown_address_gets_the_sites_404_page_not_the_url_list(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert b"Page not found" in response.content
    assert not _leaks(response)
    assert b"claims/" not in response.content.replace(b"claimdesk.css", b"")


def test_the_verdict_catches_a_page_that_answers_without_a_login(client, crawled, biller):
    """The crawl's judge is not blind: a signed-in page seen anonymously, or a claim page, fails it."""
    detail = next(url for url in crawled if url.name == "claims:claim_detail")
    client.force_login(biller)
    response = client.get(detail.path)
    assert response.status_code == 200
    assert _verdict(detail, "get", response) is not None
