"""Who may open what: every URL of the app, for every role, answers exactly as it should.

Roles: an anonymous visitor, a biller (the claim's author), a supervisor, an administrator (superuser)
and a signed-in user without any group. Answers: a status code, or ``LOGIN`` for a redirect to the
login page. A meta-test keeps the matrix whole: a new URL fails it until its row is added here.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.contrib.auth.models import Group
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from batches import services as batch_services
from batches.choices import BatchKind
from batches.models import Batch
from claims import services
from claims.choices import QueueReason
from claims.models import Claim, ClaimReview, ClaimSnapshot
from edi.models import ImportedFile
from tests.claims.factories import make_claim
from tests.codes.factories import make_code

pytestmark = pytest.mark.django_db

LOGIN = "login"
ADMIN_LOGIN = "admin login"
ROLES = ("anonymous", "biller", "supervisor", "administrator", "no group")


@dataclass(frozen=True)
class Row:
    name: str
    method: str
    expected: tuple  # one answer per role, in ROLES order
    claim: str = ""  # "draft" or "queued": the claim the URL is about
    batch: bool = False  # about the biller's batch (done, with one claim's result)
    interchange: bool = False  # about an 837P file written by a supervisor
    imported: bool = False  # about an imported 837P file
    query: str = ""
    data: dict | None = None


DECIDE_SAVE = {"action": "save", "version": 1}
ROWS = [
    Row("home", "get", (LOGIN, 302, 302, 302, 302)),
    Row("login", "get", (200, 200, 200, 200, 200)),
    Row("logout", "post", (LOGIN, LOGIN, LOGIN, LOGIN, LOGIN)),  # signed out, back to the login page
    Row("codes:code_list", "get", (LOGIN, 200, 200, 200, 200)),
    Row("codes:code_autocomplete", "get", (LOGIN, 200, 200, 200, 200), query="?code=992"),
    Row("codes:code_detail", "get", (LOGIN, 200, 200, 200, 200)),
    Row("codes:diagnosis_lookup", "get", (LOGIN, 200, 200, 200, 200), query="?q=obesity"),
    Row("claims:rule_list", "get", (LOGIN, 200, 200, 200, 200)),
    Row("claims:claim_list", "get", (LOGIN, 200, 200, 200, 403)),
    Row("claims:claim_new", "get", (LOGIN, 200, 200, 200, 403)),
    Row("claims:live_check", "post", (LOGIN, 200, 200, 200, 403), data={}),
    Row("claims:patient_search", "post", (LOGIN, 200, 200, 200, 403), data={"q": "doe"}),  # posted: no PHI in URLs
    Row("claims:claim_list", "post", (LOGIN, 302, 302, 302, 403), data={"q": "doe"}),  # the list's search, posted
    Row("claims:claim_detail", "get", (LOGIN, 200, 200, 200, 403), claim="draft"),
    Row("claims:claim_edit", "get", (LOGIN, 200, 200, 200, 403), claim="draft"),
    Row("claims:claim_history", "get", (LOGIN, 200, 200, 200, 403), claim="draft"),
    Row("claims:claim_history_csv", "get", (LOGIN, 403, 200, 200, 403), claim="draft"),
    Row("claims:claim_void", "post", (LOGIN, 302, 302, 302, 403), claim="draft", data={"reason": ""}),
    # the CMS-1500 PDF: whoever may see the claim (both variants; a wrong one is a clear 400)
    Row("claims:claim_cms1500", "get", (LOGIN, 200, 200, 200, 403), claim="draft", query="?variant=data"),
    Row("claims:claim_cms1500", "get", (LOGIN, 200, 200, 200, 403), claim="draft", query="?variant=full"),
    Row("claims:claim_cms1500", "get", (LOGIN, 400, 400, 400, 403), claim="draft", query="?variant=x"),
    Row("claims:review_queue", "get", (LOGIN, 403, 200, 200, 403)),
    Row("claims:review_assign", "post", (LOGIN, 403, 302, 302, 403), data={}),
    Row("claims:review_detail", "get", (LOGIN, 403, 200, 200, 403), claim="queued"),
    # version 1: the queued claim as made (a decision without its claim's version is refused)
    Row("claims:review_decide", "post", (LOGIN, 403, 302, 302, 403), claim="queued", data=DECIDE_SAVE),
    Row("claims:dashboard", "get", (LOGIN, 403, 200, 200, 403)),
    Row("claims:dashboard_csv", "get", (LOGIN, 403, 200, 200, 403), query="?chart=by_rule"),
    Row("claims:api_scrub", "post", (401, 400, 400, 400, 403), data={}),
    # background batches: anyone who may check claims (the scrub API's permission); a biller's own batch
    Row("batches:batch_list", "get", (LOGIN, 200, 200, 200, 403)),
    Row("batches:batch_create", "get", (LOGIN, 200, 200, 200, 403)),
    Row("batches:batch_create", "post", (LOGIN, 200, 200, 200, 403), data={}),  # no file: the form says so
    Row("batches:batch_detail", "get", (LOGIN, 200, 200, 200, 403), batch=True),
    Row("batches:batch_retry", "post", (LOGIN, 302, 302, 302, 403), batch=True, data={}),
    Row("batches:batch_results", "get", (LOGIN, 200, 200, 200, 403), batch=True),
    Row("batches:result_detail", "get", (LOGIN, 200, 200, 200, 403), batch=True),
    # 837P export: supervisors (edi.export_claims); an empty post is a message, not an export
    Row("edi:export", "get", (LOGIN, 403, 200, 200, 403)),
    Row("edi:export", "post", (LOGIN, 403, 302, 302, 403), data={}),
    Row("edi:export_background", "post", (LOGIN, 403, 302, 302, 403), data={}),
    Row("edi:interchange_list", "get", (LOGIN, 403, 200, 200, 403)),
    Row("edi:interchange_detail", "get", (LOGIN, 403, 200, 200, 403), interchange=True),
    Row("edi:interchange_download", "get", (LOGIN, 403, 200, 200, 403), interchange=True),
    # 837P import: supervisors (edi.import_claims)
    Row("imports:import_list", "get", (LOGIN, 403, 200, 200, 403)),
    Row("imports:import_create", "get", (LOGIN, 403, 200, 200, 403)),
    Row("imports:import_create", "post", (LOGIN, 403, 200, 200, 403), data={}),  # no file: the form says so
    Row("imports:import_detail", "get", (LOGIN, 403, 200, 200, 403), imported=True),
    Row("audit:trail_export", "get", (LOGIN, 403, 200, 200, 403)),
    Row("admin:index", "get", (ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, 200, ADMIN_LOGIN)),
    # accounts (two-factor sign-in not required here: tests/conftest.py; tests/accounts cover it on)
    Row("accounts:password_change", "get", (LOGIN, 200, 200, 200, 200)),
    Row("accounts:two_factor_setup", "get", (LOGIN, 200, 200, 200, 200)),
    Row("accounts:two_factor_verify", "get", (LOGIN, 302, 302, 302, 302)),  # no authenticator app: nothing to ask
    Row("accounts:session", "get", (LOGIN, 200, 200, 200, 200)),
]


@pytest.fixture
def users(django_user_model, biller, supervisor, admin_user, outsider):
    return {
        "anonymous": None,
        "biller": biller,
        "supervisor": supervisor,
        "administrator": admin_user,
        "no group": outsider,
    }


@pytest.fixture
def claims(biller, django_user_model):
    """A draft of the biller's, and a claim of the biller's waiting in the review queue."""
    draft = make_claim(biller)
    queued = make_claim(biller, status="flagged", queue_reason=QueueReason.FLAGGED)
    snapshot = ClaimSnapshot.objects.create(
        claim=queued, number=1, created_by=biller, status="flagged", risk="high", data={"findings": []}
    )
    ClaimReview.objects.create(claim=queued, snapshot=snapshot, reason=QueueReason.FLAGGED)
    return {"draft": draft, "queued": queued}


def _url(row: Row, claims: dict[str, Claim]) -> str:
    if row.interchange:
        return reverse(row.name, args=[_interchange(claims["draft"].created_by).pk])
    if row.batch:
        batch = _done_batch(claims["draft"].created_by)
        if row.name == "batches:result_detail":
            return reverse(row.name, args=[batch.pk, batch.claim_results.get().pk])
        return reverse(row.name, args=[batch.pk]) + row.query
    if row.imported:
        imported = ImportedFile.objects.create(
            sha256="0" * 64, file_name="pm.837", size=1, imported_by=claims["draft"].created_by
        )
        return reverse(row.name, args=[imported.pk]) + row.query
    if row.claim:
        return reverse(row.name, args=[claims[row.claim].pk]) + row.query
    if row.name == "codes:code_detail":
        return reverse(row.name, args=["99213"]) + row.query
    return reverse(row.name) + row.query


def _done_batch(user) -> Batch:
    """A biller's batch of one claim, checked (its part run as a worker runs it)."""
    claim = {**claim_header_for_scrub(), "id": "M-1"}
    batch = batch_services.batch_create(user=user, kind=BatchKind.CHECK, items=[claim], params={"today": "2026-03-20"})
    assert batch_services.chunk_run(chunk_id=batch.chunks.get().pk) == batch_services.DONE
    return batch


def _interchange(biller):
    """An 837P file of one ready claim of the biller's, written by a supervisor."""
    from django.contrib.auth import get_user_model

    from edi.services import interchange_export
    from tests.edi.export_helpers import make_clearinghouse, ready

    sender = get_user_model().objects.create_user("supervisor.sender")
    sender.groups.add(Group.objects.get(name="Supervisors"))
    return interchange_export(claims=[ready(biller)], clearinghouse=make_clearinghouse(), user=sender)


def claim_header_for_scrub() -> dict:
    return {
        "payer_type": "medicare",
        "patient": {"dob": "1951-06-02", "sex": "M"},
        "dos": "2026-03-09",
        "diagnoses": ["J45.909"],
        "lines": [{"line": 1, "code": "99213", "units": 1, "charge": 120.0, "dx_pointers": ["A"]}],
    }


def _answer(response) -> object:
    if response.status_code == 302:
        location = response["Location"]
        if location.startswith(reverse("admin:login")):
            return ADMIN_LOGIN
        if location.startswith(reverse("login")):
            return LOGIN
    return response.status_code


@pytest.mark.parametrize("role_index", range(len(ROLES)), ids=ROLES)
@pytest.mark.parametrize("row", ROWS, ids=[row.name for row in ROWS])
def test_every_url_answers_each_role_as_it_should(client, users, claims, row, role_index):
    make_code("99213")
    user = users[ROLES[role_index]]
    if user is not None:
        client.force_login(user)
    url = _url(row, claims)
    response = getattr(client, row.method)(url, row.data or {}) if row.method == "post" else client.get(url)
    assert _answer(response) == row.expected[role_index], f"{ROLES[role_index]} {row.method.upper()} {url}"


def test_a_biller_does_not_see_another_billers_claim(client, claims, django_user_model):
    other = django_user_model.objects.create_user("biller.other")
    other.groups.add(Group.objects.get(name="Billing staff"))
    client.force_login(other)
    for name in ("claims:claim_detail", "claims:claim_edit", "claims:claim_history", "claims:claim_cms1500"):
        assert client.get(reverse(name, args=[claims["draft"].pk])).status_code == 404, name
    assert client.post(reverse("claims:claim_void", args=[claims["draft"].pk]), {"reason": "x"}).status_code == 404


def test_nobody_reviews_a_claim_they_created_even_with_the_permission(client, supervisor, claims):
    """The review page tells a supervisor who created the claim that someone else must review it."""
    own = make_claim(supervisor, status="flagged", queue_reason=QueueReason.FLAGGED)
    snapshot = ClaimSnapshot.objects.create(
        claim=own, number=1, created_by=supervisor, status="flagged", risk="high", data={"findings": []}
    )
    ClaimReview.objects.create(claim=own, snapshot=snapshot, reason=QueueReason.FLAGGED)
    client.force_login(supervisor)
    with pytest.raises(services.ReviewError):
        services.review_approve(claim=own, user=supervisor)
    response = client.post(
        reverse("claims:review_decide", args=[own.pk]), {"action": "approve", "note": "", "version": own.version}
    )
    own.refresh_from_db()
    assert own.status == "flagged" and own.queue_reason == QueueReason.FLAGGED
    assert response.status_code != 500


def _named_urls(resolver=None, namespace: str = "") -> set[str]:
    names = set()
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            names |= _named_urls(entry, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            names.add(f"{namespace}{entry.name}")
    return names


def test_the_matrix_covers_every_url_of_the_app():
    """The admin's own pages are Django's; every other named URL must have its row."""
    ours = {name for name in _named_urls() if not name.startswith("admin:")}
    assert ours - {row.name for row in ROWS} == set()
