"""The code look-up pages: list search and filters, and the code detail page."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags

from codes.choices import CodeOrigin, DrugRoute, MUEServiceType, PTPModifierIndicator, PTPSetting, Source
from codes.models import ProcedureCode

from .factories import (
    make_addon,
    make_asp,
    make_code,
    make_fee,
    make_mue,
    make_ndc,
    make_ptp,
    make_release,
)

pytestmark = pytest.mark.django_db

LIST_URL = reverse("codes:code_list")


def detail_url(code):
    return reverse("codes:code_detail", args=[code])


def listed_codes(response):
    return [row.record.code for row in response.context["table"].paginated_rows]


@pytest.fixture
def some_codes():
    today = timezone.localdate()
    make_code("99213", label="Office visit, established patient, low complexity")
    make_code("99214", label="Office visit, established patient, moderate complexity")
    make_code("99417", label="Prolonged office visit, each 15 minutes", is_add_on=True)
    make_code(
        "J1100",
        short_description="Dexamethasone sodium phos",
        long_description="Injection, dexamethasone sodium phosphate, 1 mg",
        is_drug=True,
    )
    make_code("G0008", short_description="Admin influenza virus vac", termination_date=today - timedelta(days=10))
    make_code("0591T", label="Health and well-being coaching")
    make_code("Q9999", short_description="Future code", added_date=today + timedelta(days=30))


# --- access --------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [LIST_URL, "/codes/99213/"])
def test_anonymous_users_are_sent_to_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_any_logged_in_user_may_look_up_codes(client, outsider, some_codes):
    client.force_login(outsider)
    assert client.get(LIST_URL).status_code == 200
    assert client.get(detail_url("99213")).status_code == 200


# --- list ----------------------------------------------------------------------------------------


def test_list_shows_all_codes_sorted_with_a_captioned_table(biller_client, some_codes):
    response = biller_client.get(LIST_URL)
    assert response.status_code == 200
    assert listed_codes(response) == ["0591T", "99213", "99214", "99417", "G0008", "J1100", "Q9999"]
    html = response.content.decode()
    assert "<caption" in html and "Procedure codes" in html
    assert 'method="get"' in html and 'name="q"' in html
    assert "[invalid name]" not in html
    labels = [field.label for field in response.context["filter"].form]
    assert labels == ["Code or words", "System", "Section", "Status", "Status on", "Add-on", "Drug"]
    assert f'href="{detail_url("99213")}"' in html


def test_search_by_code_prefix(biller_client, some_codes):
    assert listed_codes(biller_client.get(LIST_URL, {"q": "9921"})) == ["99213", "99214"]
    assert listed_codes(biller_client.get(LIST_URL, {"q": "j11"})) == ["J1100"]


def test_search_by_words_in_label_and_descriptors_needs_every_word(biller_client, some_codes):
    assert listed_codes(biller_client.get(LIST_URL, {"q": "office"})) == ["99213", "99214", "99417"]
    assert listed_codes(biller_client.get(LIST_URL, {"q": "office moderate"})) == ["99214"]
    # long description (CMS text) is searched too
    assert listed_codes(biller_client.get(LIST_URL, {"q": "phosphate"})) == ["J1100"]
    assert listed_codes(biller_client.get(LIST_URL, {"q": "nothing-like-this"})) == []


def test_filter_by_system_and_section(biller_client, some_codes):
    assert listed_codes(biller_client.get(LIST_URL, {"system": "HCPCS"})) == ["G0008", "J1100", "Q9999"]
    response = biller_client.get(LIST_URL, {"section": "Evaluation and Management"})
    assert listed_codes(response) == ["99213", "99214", "99417"]
    # section choices come from the data
    choices = dict(response.context["filter"].form.fields["section"].choices)
    assert "Drugs administered other than orally, chemotherapy" in choices
    assert "Surgery" not in choices


def test_filter_by_flags(biller_client, some_codes):
    assert listed_codes(biller_client.get(LIST_URL, {"is_add_on": "true"})) == ["99417"]
    assert listed_codes(biller_client.get(LIST_URL, {"is_drug": "true"})) == ["J1100"]
    assert "J1100" not in listed_codes(biller_client.get(LIST_URL, {"is_drug": "false"}))


def test_status_filter_defaults_to_today(biller_client, some_codes):
    terminated = listed_codes(biller_client.get(LIST_URL, {"status": "terminated"}))
    assert terminated == ["G0008"]
    active = listed_codes(biller_client.get(LIST_URL, {"status": "active"}))
    assert "G0008" not in active and "Q9999" not in active and "99213" in active
    assert listed_codes(biller_client.get(LIST_URL, {"status": "not_yet"})) == ["Q9999"]


def test_status_filter_on_another_date(biller_client, some_codes):
    long_ago = (timezone.localdate() - timedelta(days=365)).isoformat()
    response = biller_client.get(LIST_URL, {"status": "active", "on": long_ago})
    assert "G0008" in listed_codes(response)
    assert listed_codes(biller_client.get(LIST_URL, {"status": "terminated", "on": long_ago})) == []


def test_status_column_has_icon_and_text(biller_client, some_codes):
    html = biller_client.get(LIST_URL).content.decode()
    ended = (timezone.localdate() - timedelta(days=10)).isoformat()
    assert f"Terminated {ended}" in html
    assert "bi-x-circle" in html and "bi-check-circle" in html
    assert "Not yet effective" in html
    assert "Add-on" in html and "Drug" in html


def test_list_is_sortable_and_paginated(biller_client):
    for number in range(99202, 99262):
        make_code(str(number))
    response = biller_client.get(LIST_URL, {"sort": "-code"})
    codes = listed_codes(response)
    assert len(codes) == 50 and codes[0] == "99261"
    assert listed_codes(biller_client.get(LIST_URL, {"sort": "-code", "page": 2}))[-1] == "99202"


# --- detail --------------------------------------------------------------------------------------


@pytest.fixture
def loaded_data():
    """Two releases of each edit table; the detail page must read the newest."""
    hcpcs = make_release(Source.HCPCS, "2026 January")
    make_code(
        "J1100",
        short_description="Dexamethasone sodium phos",
        long_description="Injection, dexamethasone sodium phosphate, 1 mg",
        is_drug=True,
        drug_dose_amount=Decimal("1"),
        drug_dose_unit="mg",
        drug_route=DrugRoute.INJECTION,
        coverage_code="D",
        action_code="N",
        added_date=date(2000, 1, 1),
        release=hcpcs,
    )
    make_code("96372", label="Injection under the skin or into a muscle")
    make_code("99213", label="Office visit, established patient, low complexity")
    make_code("99417", label="Prolonged office visit", is_add_on=True)
    old_ptp = make_release(Source.PTP_PRACTITIONER, "2025 Q4", effective_date=date(2025, 10, 1))
    new_ptp = make_release(Source.PTP_PRACTITIONER, "2026 Q1", effective_date=date(2026, 1, 1))
    hospital_ptp = make_release(Source.PTP_HOSPITAL, "2026 Q1", effective_date=date(2026, 1, 1))
    make_ptp(old_ptp, "96372", "J2222")  # superseded release: never shown
    make_ptp(new_ptp, "96372", "99211", modifier_indicator=PTPModifierIndicator.NOT_ALLOWED)
    make_ptp(new_ptp, "99213", "96372", deletion_date=date(2026, 7, 1))
    make_ptp(hospital_ptp, "96372", "36000", setting=PTPSetting.HOSPITAL)
    mue = make_release(Source.MUE_PRACTITIONER, "2026 Q2")
    make_mue(mue, "J1100", value=100)
    make_mue(make_release(Source.MUE_DME, "2026 Q2"), "99213", value=3, service_type=MUEServiceType.DME)
    fee = make_release(Source.PFS_RVU, "RVU26A")
    make_fee(fee, "96372", status="T")
    make_fee(fee, "99213", status="A", modifier="", global_days="XXX")
    aoc = make_release(Source.AOC, "2026 Q1")
    make_addon(aoc, "99417", "99205")
    make_addon(aoc, "99417", "99215")
    make_addon(aoc, "96375", "96372")
    asp = make_release(Source.ASP, "2026 January")
    make_asp(asp, "J1100", dosage="1 MG", limit="0.1230")
    ndc = make_release(Source.NDC_CROSSWALK, "2026 January")
    make_ndc(ndc, "63323016501", "J1100", drug_name="Dexamethasone sodium phosphate")


def test_detail_shows_what_the_engine_knows_about_a_drug(biller_client, loaded_data):
    response = biller_client.get(detail_url("j1100"))
    assert response.status_code == 200
    html = response.content.decode()
    for text in [
        "J1100",
        "HCPCS Level II",
        "Drugs administered other than orally, chemotherapy",
        "Injection, dexamethasone sodium phosphate, 1 mg",
        "2000-01-01",
        "D – Special coverage instructions apply",
        "N – No maintenance for this code",
        "HCPCS Level II codes 2026 January",
        "1 mg",
        "Injection",
        "$0.1230 per 1 MG",
        "63323-0165-01",
        "Dexamethasone sodium phosphate",
        "Active",
    ]:
        assert text in html, text
    # MUE for each service type: loaded (value), loaded but no row, not loaded
    mue_rows = {str(t.value): row for t, _release, row in response.context["mue_rows"]}
    assert mue_rows["practitioner"].value == 100
    assert mue_rows["dme"] is None and mue_rows["outpatient_hospital"] is None
    assert "No release loaded" in html and "No MUE for this code" in html


def test_detail_shows_fee_schedule_status_with_meaning(biller_client, loaded_data):
    html = biller_client.get(detail_url("96372")).content.decode()
    assert "Injections (paid only without another service)" in html
    assert "RVU26A" in html


def test_detail_lists_ptp_partners_of_the_newest_release_both_ways(biller_client, loaded_data):
    response = biller_client.get(detail_url("96372"))
    as_1 = [row.record.partner for row in response.context["ptp_as_column_1"].paginated_rows]
    as_2 = [row.record.partner for row in response.context["ptp_as_column_2"].paginated_rows]
    assert as_1 == ["36000", "99211"]  # hospital and practitioner; J2222 is in the superseded release
    assert as_2 == ["99213"]
    html = response.content.decode()
    assert "0 Modifier not allowed" in html and "no modifier bypasses" in html
    assert "Office visit, established patient, low complexity" in html  # partner label, same query
    assert "2026-07-01" in html
    assert "J2222" not in html


def test_detail_shows_add_on_primaries_and_add_ons_of_a_primary(biller_client, loaded_data):
    response = biller_client.get(detail_url("99417"))
    assert [r.record.partner for r in response.context["addon_primaries"].paginated_rows] == ["99205", "99215"]
    html = biller_client.get(detail_url("96372")).content.decode()
    assert "Add-on codes for which 96372 is a primary" in html and "96375" in html


def test_detail_says_cpt_descriptors_need_a_licensed_file(biller_client, loaded_data):
    html = biller_client.get(detail_url("99213")).content.decode()
    assert "Office visit, established patient, low complexity" in html
    assert "licensed CPT file" in html
    make_release(Source.CPT, "starter (2026)", is_starter=True)  # our starter labels are not a licensed file
    assert "licensed CPT file" in biller_client.get(detail_url("99213")).content.decode()
    make_release(Source.CPT, "2026")
    assert "licensed CPT file" not in biller_client.get(detail_url("99213")).content.decode()


def test_ptp_partner_tables_paginate_independently(biller_client):
    make_code("96372")
    release = make_release(Source.PTP_PRACTITIONER, "2026 Q1")
    partners = [f"{99100 + n}" for n in range(30)]
    for partner in partners:
        make_ptp(release, "96372", partner)
    make_ptp(release, "20610", "96372")
    first = biller_client.get(detail_url("96372"))
    assert [r.record.partner for r in first.context["ptp_as_column_1"].paginated_rows] == partners[:25]
    assert "c1-page=2" in first.content.decode()
    second = biller_client.get(detail_url("96372"), {"c1-page": 2})
    assert [r.record.partner for r in second.context["ptp_as_column_1"].paginated_rows] == partners[25:]
    assert [r.record.partner for r in second.context["ptp_as_column_2"].paginated_rows] == ["20610"]


def test_detail_query_count_does_not_grow_with_ptp_partners(biller_client):
    make_code("96372")
    release = make_release(Source.PTP_PRACTITIONER, "2026 Q1")
    make_ptp(release, "96372", "99100")
    make_ptp(release, "99100", "96372")
    make_code("99100", label="Partner")

    def count_queries():
        with CaptureQueriesContext(connection) as context:
            assert biller_client.get(detail_url("96372")).status_code == 200
        return len(context.captured_queries)

    one = count_queries()
    for n in range(1, 30):
        make_code(f"{99100 + n}", label=f"Partner {n}")
        make_ptp(release, "96372", f"{99100 + n}")
        make_ptp(release, f"{99100 + n}", "96372")
    assert count_queries() == one


def test_unknown_valid_code_is_404_with_a_helpful_message(biller_client, some_codes):
    response = biller_client.get(detail_url("J9999"))
    assert response.status_code == 404
    html = response.content.decode()
    assert "has the form of a HCPCS code" in html and "no record of it" in html


def test_invalid_code_is_404_with_the_reason(biller_client):
    response = biller_client.get(detail_url("9921"))
    assert response.status_code == 404
    assert "9921 has 4 characters" in response.content.decode()
    response = biller_client.get(detail_url("0001G"))
    assert response.status_code == 404
    assert "must end in F (Category II)" in response.content.decode()


@pytest.mark.django_db
def test_section_column_does_not_repeat_the_category():
    from codes.tables import ProcedureCodeTable

    table = ProcedureCodeTable([])
    cat3 = make_code("0591T")
    visit = make_code("99213")
    assert table.render_section(cat3) == "Category III (emerging technology)"
    assert table.render_section(visit) == "Category I · Evaluation and Management"


# --- CPT validity: the look-up never says "Active" for a code the data cannot vouch for (issue 11) ----------


@pytest.fixture
def fee_schedule_files():
    """A real-shaped PFS relative value release of this year without 99201, and one of six years ago with it
    (99201 was deleted in 2021; the PTP files still name it, so it is a known code without dates)."""
    year = timezone.localdate().year
    old = make_release(Source.PFS_RVU, f"RVU{(year - 6) % 100:02d}D", effective_date=date(year - 6, 10, 1))
    new = make_release(Source.PFS_RVU, f"RVU{year % 100:02d}A", effective_date=date(year, 1, 1))
    make_code("99201", origin=CodeOrigin.EDIT_FILE)
    make_code("99213", label="Office visit, established patient, low complexity")
    make_code("0043T", label="A Category III code")
    make_code("J1100", short_description="Dexamethasone sodium phos")
    for code in ("99201", "99213"):
        make_fee(old, code)
    make_fee(new, "99213")
    return new


def status_of(client, code: str):
    response = client.get(detail_url(code))
    assert response.status_code == 200
    return response.context["status"], response.content.decode()


def test_a_cpt_code_the_fee_schedule_file_of_the_year_does_not_list_is_not_active(biller_client, fee_schedule_files):
    status, html = status_of(biller_client, "99201")
    assert status.key == "unverified"
    assert status.text == f"Not in the current fee schedule file ({fee_schedule_files.label})"
    assert status.text in html and "</i> Active</span>" not in html  # no "Active" badge


def test_a_cpt_code_the_file_lists_is_active(biller_client, fee_schedule_files):
    assert status_of(biller_client, "99213")[0].text == "Active"


def test_a_category_iii_code_the_file_does_not_list_is_not_judged(biller_client, fee_schedule_files):
    status, _ = status_of(biller_client, "0043T")
    assert status.key == "unverified" and status.text.startswith("Validity not checked: not in the fee schedule file")


def test_hcpcs_codes_are_not_judged_by_the_fee_schedule(biller_client, fee_schedule_files):
    assert status_of(biller_client, "J1100")[0].text == "Active"


@pytest.mark.parametrize("starter_file", [False, True])
def test_without_a_cpt_source_cpt_validity_is_not_checked(biller_client, starter_file):
    if starter_file:  # the starter subset never says a code is missing
        make_fee(make_release(Source.PFS_RVU, "starter", is_starter=True, effective_date=date(2026, 1, 1)), "99213")
    make_code("99201", origin=CodeOrigin.EDIT_FILE)
    make_code("99213")
    for code in ("99201", "99213"):
        status, html = status_of(biller_client, code)
        assert status.text == "Validity not checked: no CPT code set loaded"
        assert status.text in html


def test_a_licensed_cpt_file_decides_with_its_dates(biller_client, fee_schedule_files):
    make_release(Source.CPT, "cpt_2026")
    ProcedureCode.objects.filter(code="99201").update(termination_date=date(2020, 12, 31), origin=CodeOrigin.CPT_FILE)
    assert status_of(biller_client, "99201")[0].text == "Terminated 2020-12-31"
    assert status_of(biller_client, "0043T")[0].text == "Active"


def test_the_list_shows_the_same_status(biller_client, fee_schedule_files):
    response = biller_client.get(LIST_URL)
    table = response.context["table"]
    statuses = {row.record.code: strip_tags(row.get_cell("status")).strip() for row in table.paginated_rows}
    assert statuses["99201"] == f"Not in the current fee schedule file ({fee_schedule_files.label})"
    assert statuses["99213"] == "Active"
    assert statuses["J1100"] == "Active"
    assert statuses["0043T"].startswith("Validity not checked")


def test_a_hcpcs_code_only_an_edit_file_names_is_not_vouched_for_without_the_hcpcs_file(biller_client):
    make_code("L3000", origin=CodeOrigin.EDIT_FILE)
    make_code("J1100")  # from a code file (the starter data's CMS rows)
    assert status_of(biller_client, "L3000")[0].text == "Validity not checked: no HCPCS Level II code file loaded"
    assert status_of(biller_client, "J1100")[0].text == "Active"
    make_release(Source.HCPCS, "2026 January")
    assert status_of(biller_client, "L3000")[0].text == "Active"
