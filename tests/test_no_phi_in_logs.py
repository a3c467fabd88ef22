"""No patient data in addresses or logs, through a whole day's work on one claim.

A biller enters a claim for a patient with names, a date of birth and a member ID found nowhere else, checks
it, submits it; a supervisor returns it, the biller fixes and resubmits it, the supervisor approves it; both
search the claim list and the patient picker for the patient by every one of those values. Every log record
of every logger, at DEBUG, is captured, with an access-log line for every request (as gunicorn or
``runserver`` would write it: method, full path with query string, status), and every address requested,
redirects included. None of them may hold the patient's names, date of birth (in any common spelling) or
member ID.

(``django.db.backends`` logs SQL with its parameters only when DEBUG is on, which production never is; the
test runs as production does.)
"""

from __future__ import annotations

import logging
import re
from datetime import date
from io import StringIO
from urllib.parse import unquote_plus

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from claims.choices import ClaimStatus
from claims.models import Claim
from tests.claims.entry_helpers import entry_data
from tests.claims.factories import make_payer
from tests.claims.page_forms import form_data

pytestmark = pytest.mark.django_db

LAST, FIRST, MEMBER_ID, BORN = "Quillfeather", "Zephyrine", "QZ9XK4471", date(1937, 8, 19)
BIRTH_SPELLINGS = [
    f"{BORN:%Y-%m-%d}",
    f"{BORN:%m/%d/%Y}",
    f"{BORN.month}/{BORN.day}/{BORN.year}",
    f"{BORN:%m-%d-%Y}",
    f"{BORN:%Y%m%d}",
    f"{BORN:%d.%m.%Y}",
    f"{BORN:%Y/%m/%d}",
    f"{BORN:%b %d, %Y}",
    f"{BORN:%B %d, %Y}",
    f"{BORN:%d %b %Y}",
]
PHI = [LAST, FIRST, MEMBER_ID, *BIRTH_SPELLINGS]
ACCESS = logging.getLogger("django.server")


class Capture(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def captured():
    """Every record of every logger (root and all named ones, whether they propagate or not), at DEBUG.

    The loggers' own filters stay: ``django.template``'s drops its DEBUG records, which dump the template
    context (``billing_site.log_filters``)."""
    handler = Capture()
    loggers = [logging.getLogger(), *[logging.getLogger(name) for name in list(logging.Logger.manager.loggerDict)]]
    levels = [(logger, logger.level, logger.disabled) for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
        logger.disabled = False
    yield handler
    for logger, level, disabled in levels:
        logger.removeHandler(handler)
        logger.setLevel(level)
        logger.disabled = disabled


class AccessLoggedClient(Client):
    """A test client that writes an access-log line for every request, redirects followed included, and keeps
    every address it requested and every address it was sent to."""

    def __init__(self, addresses: list[str], **kwargs):
        super().__init__(**kwargs)
        self.addresses = addresses

    def request(self, **request):
        path = request.get("PATH_INFO", "")
        query = request.get("QUERY_STRING", "")
        full = f"{path}?{query}" if query else path
        response = super().request(**request)
        self.addresses.append(full)
        if response.has_header("Location"):
            self.addresses.append(response["Location"])
        if response.has_header("HX-Redirect"):
            self.addresses.append(response["HX-Redirect"])
        ACCESS.info('"%s %s HTTP/1.1" %s', request.get("REQUEST_METHOD", "GET"), full, response.status_code)
        return response


def _spotted(text: str) -> list[str]:
    plain = unquote_plus(text).casefold()
    return [value for value in PHI if value.casefold() in plain]


def _ok(response, *codes):
    assert response.status_code in codes, (response.status_code, response.content.decode()[:1500])
    return response


@pytest.fixture
def team(django_user_model):
    call_command("load_starter_data", "--icd10cm-year", "2025", "--icd10cm-year", "2026", stdout=StringIO())
    biller = django_user_model.objects.create_user("biller.log")
    biller.groups.add(Group.objects.get(name="Billing staff"))
    supervisor = django_user_model.objects.create_user("supervisor.log")
    supervisor.groups.add(Group.objects.get(name="Supervisors"))
    return biller, supervisor


def _acknowledge(data: dict, claim: Claim) -> dict:
    for finding in claim.findings.filter(severity="ERROR"):
        scope = "claim" if finding.line_number is None else f"lines-{finding.line_number - 1}"
        data[f"ack-{scope}-{finding.rule}"] = f"Reason for {finding.rule}"
    return data


def _searches(client, picker: bool = True) -> None:
    """The claim list's search and the patient picker, by every value that names the patient."""
    for text in (LAST, f"{FIRST} {LAST}", MEMBER_ID, f"{BORN:%m/%d/%Y}", f"{BORN:%Y-%m-%d}", f"{LAST} {BORN:%m/%d/%Y}"):
        listed = _ok(
            client.post(reverse("claims:claim_list") + "?status=&sort=-date_of_service", {"q": text}, follow=True), 200
        )
        assert LAST in listed.content.decode() and listed.context["table"].paginator.count == 1, text
        if picker:
            offered = _ok(client.post(reverse("claims:patient_search"), {"q": text}), 200).content.decode()
            assert MEMBER_ID in offered, text
    page_two = _ok(client.get(reverse("claims:claim_list"), {"page": 1, "sort": "patient"}), 200)
    assert LAST in page_two.content.decode()
    _ok(client.post(reverse("claims:claim_list"), {"clear": "1"}, follow=True), 200)


def test_a_whole_workflow_leaves_no_patient_data_in_logs_or_addresses(captured, team):
    biller, supervisor = team
    addresses: list[str] = []
    billers = AccessLoggedClient(addresses)
    billers.force_login(biller)
    supervisors = AccessLoggedClient(addresses)
    supervisors.force_login(supervisor)
    medicare = make_payer()
    header = {"patient_last_name": LAST, "patient_first_name": FIRST, "member_id": MEMBER_ID, "patient_dob": f"{BORN}"}
    data = entry_data(medicare, [{"code": "96372", "charge": "25.00"}, {"code": "J8499", "charge": "10.00"}], **header)

    # the biller: the patient picker, the live check, a mistake, save and check, submit with reasons
    _ok(billers.get(reverse("claims:claim_new")), 200)
    _ok(billers.post(reverse("claims:patient_search"), {"q": LAST}), 200)
    _ok(billers.post(reverse("claims:live_check"), data), 200)
    _ok(billers.post(reverse("claims:claim_new"), {**data, "patient_dob": "2999-01-01", "action": "save"}), 422)
    _ok(billers.post(reverse("claims:claim_new"), {**data, "action": "check"}, follow=True), 200)
    claim = Claim.objects.get(patient_last_name=LAST)
    edit = reverse("claims:claim_edit", args=[claim.pk])
    opened = form_data(_ok(billers.get(edit), 200).content.decode())
    _ok(billers.post(edit, _acknowledge({**opened, "action": "submit"}, claim), follow=True), 200)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.FLAGGED and claim.queue_reason
    _ok(billers.get(reverse("claims:claim_detail", args=[claim.pk])), 200)
    _ok(billers.get(reverse("claims:claim_history", args=[claim.pk])), 200)
    _searches(billers)

    # the supervisor: the queue, the review page, returns it with a note
    _ok(supervisors.get(reverse("claims:review_queue")), 200)
    review = reverse("claims:review_detail", args=[claim.pk])
    page = _ok(supervisors.get(review), 200).content.decode()
    returned = {**form_data(page, "review-form"), "action": "return", "note": "Use the right administration code"}
    _ok(supervisors.post(reverse("claims:review_decide", args=[claim.pk]), returned, follow=True), 200)
    claim.refresh_from_db()
    assert claim.is_returned

    # the biller fixes the line and sends it again; a stale save on the way is refused
    opened = form_data(_ok(billers.get(edit), 200).content.decode())
    _ok(billers.post(edit, {**opened, "version": str(claim.version - 1), "action": "save"}), 409)
    fixed = {**opened, "lines-0-code": "96374", "action": "check"}
    _ok(billers.post(edit, fixed, follow=True), 200)
    claim.refresh_from_db()
    opened = form_data(_ok(billers.get(edit), 200).content.decode())
    _ok(billers.post(edit, _acknowledge({**opened, "action": "submit"}, claim), follow=True), 200)
    claim.refresh_from_db()
    assert claim.queue_reason  # a returned claim sent again is reviewed again

    # the supervisor approves it, accepting every override; searches; exports the trail; a new claim from it
    page = _ok(supervisors.get(review), 200).content.decode()
    approved = {**form_data(page, "review-form"), "action": "approve", "note": ""}
    for name in set(re.findall(r'name="(decision-[^"]+)"', page)):
        approved[name] = "accepted"
    _ok(supervisors.post(reverse("claims:review_decide", args=[claim.pk]), approved, follow=True), 200)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.REVIEWED and not claim.queue_reason
    _searches(supervisors)
    _ok(supervisors.get(reverse("claims:claim_history_csv", args=[claim.pk])), 200)
    _ok(supervisors.get(reverse("claims:dashboard")), 200)
    prefilled = _ok(billers.get(reverse("claims:claim_new"), {"from_claim": claim.pk}), 200).content.decode()
    assert f'value="{MEMBER_ID}"' in prefilled  # the page has the patient; its address does not

    # nothing of the patient in any address or any log record
    assert len(addresses) > 40 and captured.records
    assert any(record.name == "django.server" and "/claims/" in record.getMessage() for record in captured.records)
    leaks = [(address, _spotted(address)) for address in addresses if _spotted(address)]
    assert leaks == []
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    logged = []
    for record in captured.records:
        text = formatter.format(record) + " " + repr(record.args)
        if _spotted(text):
            logged.append((record.name, text[:300], _spotted(text)))
    assert sorted({name for name, _, _ in logged}) == [] and logged == []


def test_the_leak_detector_sees_every_spelling():
    """The check above would catch the patient in an address or a log line, however written."""
    assert _spotted("/claims/?q=quillfeather") == [LAST]
    assert _spotted("/claims/patients/?q=Zephyrine+Quillfeather") == [LAST, FIRST]
    assert f"{BORN:%m/%d/%Y}" in _spotted("/x?q=08%2F19%2F1937")
    assert _spotted("dob 8/19/1937") == [f"{BORN.month}/{BORN.day}/{BORN.year}"]
    assert _spotted("born 19370819, id qz9xk4471") == [MEMBER_ID, f"{BORN:%Y%m%d}"]
    assert _spotted("1937-08-19") == [f"{BORN:%Y-%m-%d}"]
    assert _spotted("Aug 19, 1937") == [f"{BORN:%b %d, %Y}"]
    assert _spotted("/claims/new/?from_claim=12") == []
