"""The claim page's Print CMS-1500 menu, in Chromium: it opens, and each item downloads its PDF."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.claims.factories import make_claim

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(("item", "variant"), [("Data only", "data"), ("Full form", "full")])
def test_the_biller_downloads_a_cms1500_from_the_claim_page(transactional_db, logged_in_page, biller, item, variant):
    claim = make_claim(biller)
    page = logged_in_page(biller)
    page.goto(f"/claims/{claim.pk}/")
    menu = page.get_by_role("button", name="Print CMS-1500")
    menu.click()
    link = page.get_by_role("link", name=item)
    expect(link).to_be_visible()
    with page.expect_download() as download_info:
        link.click()
    download = download_info.value
    assert download.suggested_filename == f"{claim.number}-cms1500-{variant}.pdf"
    text = PdfReader(download.path()).pages[0].extract_text()
    assert claim.member_id in text
