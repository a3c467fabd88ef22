"""The demo clearinghouse (``make run``): created once, never over what an administrator set, and the demo's
ready and approved claims then export as an 837P that pyx12 accepts."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import override_settings

from claims.management.commands.load_starter_payers import STARTER_PAYERS
from claims.models import Claim, Payer
from edi.management.commands.load_demo_clearinghouse import DEMO_PAYER_IDS
from edi.models import Clearinghouse
from edi.selectors import exportable_q
from edi.services import interchange_export
from tests.claims.conftest import rolled_back

from .conftest import pyx12_findings
from .export_helpers import make_clearinghouse

FAST_HASHER = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def load() -> str:
    out = StringIO()
    with override_settings(DEBUG=True):
        call_command("load_demo_clearinghouse", stdout=out)
    return out.getvalue()


def test_every_starter_payer_gets_a_demo_payer_id():
    assert set(DEMO_PAYER_IDS) == {name for name, _type, _notes in STARTER_PAYERS}


@pytest.mark.django_db
def test_a_demo_clearinghouse_and_payer_ids_once():
    call_command("load_starter_payers", stdout=StringIO())
    Payer.objects.filter(name="Commercial PPO").update(payer_id="60054")  # set by an administrator
    first = load()
    assert "Demo clearinghouse: created (test files)" in first
    clearinghouse = Clearinghouse.objects.get()
    assert (clearinghouse.usage, clearinghouse.last_interchange_control_number) == ("T", 0)
    assert dict(Payer.objects.values_list("name", "payer_id")) == {
        "Medicare Part B": "DEMOMCR",
        "State Medicaid": "DEMOMCD",
        "Commercial PPO": "60054",
    }
    assert "nothing added" in load() and Clearinghouse.objects.count() == 1


@pytest.mark.django_db
def test_an_existing_clearinghouse_is_left_alone():
    make_clearinghouse("Real Clearinghouse")
    assert "one is set up already; nothing added" in load()
    assert list(Clearinghouse.objects.values_list("name", flat=True)) == ["Real Clearinghouse"]


@pytest.mark.django_db
def test_refused_with_debug_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG is off"):
        call_command("load_demo_clearinghouse", stdout=StringIO())
    assert not Clearinghouse.objects.exists()


def test_the_demo_claims_export_as_a_valid_837p(django_db_setup, django_db_blocker):
    """What ``make run`` sets up, then the supervisor's export of every ready and approved demo claim."""
    with rolled_back(django_db_blocker), override_settings(DEBUG=True, PASSWORD_HASHERS=FAST_HASHER):
        call_command("load_starter_data", "--icd10cm-year", "2025", "--icd10cm-year", "2026", stdout=StringIO())
        call_command("load_starter_payers", stdout=StringIO())
        call_command("create_demo_users", "--file", "/dev/null", stdout=StringIO())
        call_command("load_demo_providers", stdout=StringIO())
        call_command("load_demo_claims", "--count", "60", stdout=StringIO())
        load()
        claims = list(Claim.objects.filter(exportable_q()).order_by("pk"))
        assert len(claims) >= 10
        supervisor = get_user_model().objects.get(username="supervisor")
        interchange = interchange_export(claims=claims, clearinghouse=Clearinghouse.objects.get(), user=supervisor)
        assert interchange.claim_count == len(claims)
        valid, findings = pyx12_findings(interchange.content)
        assert findings == [] and valid is True
