"""``manage.py export_837``: selection options, the clearinghouse by default, the file written only on success,
and the exit status and message of each kind of bad input."""

from __future__ import annotations

from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from claims.choices import ClaimStatus, PayerType
from edi.claims837 import read_837p
from edi.models import Clearinghouse, Interchange
from tests.claims.factories import make_payer

from .export_helpers import make_clearinghouse, ready

pytestmark = pytest.mark.django_db


def export(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("export_837", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def refused(*args) -> CommandError:
    with pytest.raises(CommandError) as raised:
        export(*args)
    return raised.value


@pytest.fixture
def house():
    return make_clearinghouse()


def exported_ids(text: str) -> set[str]:
    return {claim.claim_id for claim in read_837p(text.encode()).claims}


def test_exports_every_ready_and_approved_claim_to_the_file(tmp_path, supervisor, biller, house):
    claims = [ready(biller), ready(biller, status=ClaimStatus.REVIEWED, review_outcome="approved")]
    draft = ready(biller, status=ClaimStatus.DRAFT)
    target = tmp_path / "out.837"
    _, message = export("--output", str(target), "--user", "supervisor")
    text = target.read_text()
    assert exported_ids(text) == {claim.number for claim in claims}
    interchange = Interchange.objects.get()
    assert text == interchange.content
    assert interchange.file_name in message and interchange.sha256 in message and "ISA13 000000001" in message
    draft.refresh_from_db()
    assert draft.status == ClaimStatus.DRAFT


def test_dash_prints_the_file(supervisor, biller, house):
    claim = ready(biller)
    out, err = export("--output", "-", "--user", "supervisor")
    assert out.startswith("ISA*") and exported_ids(out) == {claim.number}
    assert "Exported 1 claim(s)" in err


def test_status_payer_and_date_options_narrow_the_selection(supervisor, biller, house):
    plan = make_payer("Empire Health Plan", PayerType.COMMERCIAL, payer_id="EHP01")
    old = ready(biller, date_of_service=date(2026, 1, 5))
    approved = ready(biller, status=ClaimStatus.REVIEWED, review_outcome="approved", date_of_service=date(2026, 3, 2))
    other_payer = ready(biller, payer=plan, date_of_service=date(2026, 3, 2))
    out, _ = export("-o", "-", "--user", "supervisor", "--status", "ready", "--payer", "medicare part b")
    assert exported_ids(out) == {old.number}
    out, _ = export("-o", "-", "--user", "supervisor", "--from", "2026-03-01", "--to", "2026-03-31",
                    "--payer", "Empire Health Plan", "--payer", "Medicare Part B")
    assert exported_ids(out) == {approved.number, other_payer.number}


def test_claims_named_by_number_go_or_are_refused_by_number(supervisor, biller, house):
    wanted, left = ready(biller), ready(biller)
    out, _ = export("-o", "-", "--user", "supervisor", "--claim", wanted.number)
    assert exported_ids(out) == {wanted.number}
    left.refresh_from_db()
    assert left.status == ClaimStatus.READY
    error = refused("-o", "-", "--user", "supervisor", "--claim", wanted.number, "--claim", str(left.pk))
    assert error.returncode == 1 and f"{wanted.number}: it is sent" in str(error)
    left.refresh_from_db()
    assert left.status == ClaimStatus.READY  # all or nothing


def test_nothing_to_export_uses_no_control_number(tmp_path, supervisor, biller, house):
    ready(biller, status=ClaimStatus.DRAFT)
    target = tmp_path / "out.837"
    error = refused("--output", str(target), "--user", "supervisor")
    assert error.returncode == 3 and "nothing was exported" in str(error)
    house.refresh_from_db()
    assert house.last_interchange_control_number == 0 and not target.exists()


def test_a_refused_export_writes_no_file(tmp_path, supervisor, biller, house):
    from claims.models import Payer

    ready(biller, payer=Payer.objects.create(name="Paper Plan", payer_type="commercial"))
    target = tmp_path / "out.837"
    error = refused("--output", str(target), "--user", "supervisor")
    assert error.returncode == 1 and "no electronic payer ID" in str(error)
    assert not target.exists() and list(tmp_path.iterdir()) == []
    house.refresh_from_db()
    assert house.last_interchange_control_number == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--user", "nobody"], "No active user 'nobody'"),
        (["--user", "biller"], "biller may not export claims"),
        (["--user", "supervisor", "--clearinghouse", "Nope"], "No clearinghouse 'Nope'"),
        (["--user", "supervisor", "--claim", "ABC"], "is not a claim number"),
        (["--user", "supervisor", "--claim", "CLM-999999"], "No claim CLM-999999"),
        (["--user", "supervisor", "--claim", "1", "--status", "ready"], "--claim names the claims itself"),
        (["--user", "supervisor", "--from", "03/01/2026"], "is not a date like"),
        (["--user", "supervisor", "--from", "2026-03-02", "--to", "2026-03-01"], "--from is after --to"),
        (["--user", "supervisor", "--payer", "Unknown Plan"], "No payer named 'Unknown Plan'"),
    ],
)
def test_bad_input_exits_2_with_a_message(supervisor, biller, house, args, message):
    ready(biller)
    error = refused("-o", "-", *args)
    assert error.returncode == 2 and message in str(error)
    assert not Interchange.objects.exists()


def test_a_missing_directory_is_bad_input(tmp_path, supervisor, biller, house):
    ready(biller)
    error = refused("-o", str(tmp_path / "no" / "out.837"), "--user", "supervisor")
    assert error.returncode == 2 and "no such directory" in str(error)
    assert not Interchange.objects.exists()


def test_the_clearinghouse_must_be_named_when_there_is_none_or_several(supervisor, biller, house):
    ready(biller)
    make_clearinghouse("Second House")
    error = refused("-o", "-", "--user", "supervisor")
    assert error.returncode == 2 and "Several active clearinghouses (Example Clearinghouse, Second House)" in str(error)
    out, _ = export("-o", "-", "--user", "supervisor", "--clearinghouse", "second house")
    assert Interchange.objects.get().clearinghouse.name == "Second House" and out
    Clearinghouse.objects.update(active=False)
    error = refused("-o", "-", "--user", "supervisor")
    assert error.returncode == 2 and "No active clearinghouse" in str(error)
