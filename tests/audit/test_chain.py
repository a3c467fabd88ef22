"""The audit event itself: the hash chain, append only, and the plain-words reading of an event."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from audit.models import GENESIS_HASH, SYSTEM_ACTOR, AuditEvent, AuditEventImmutable
from audit.services import actor_name, event_record, field_changes

from .helpers import record

pytestmark = pytest.mark.django_db


# --- the chain ---------------------------------------------------------------------------------------


def test_events_are_chained_in_sequence():
    first, second, third = record(3)
    assert [e.sequence for e in (first, second, third)] == [1, 2, 3]
    assert first.previous_hash == GENESIS_HASH
    assert second.previous_hash == first.hash and third.previous_hash == second.hash
    assert len({first.hash, second.hash, third.hash}) == 3


def test_the_hash_survives_the_round_trip_through_the_database(biller):
    """What is read back hashes to what was written: JSON, decimals, dates, accents, the time stamp."""
    event = event_record(
        action="claim.changed",
        actor=biller,
        object_type="claim",
        object_id=12,
        claim_id=12,
        summary="changed claim 12 for José Núñez",
        changes=[["line 1 charge", Decimal("125.50"), Decimal("130")], ["date of service", None, date(2026, 1, 2)]],
        data={"findings": [{"rule": "NCCI-PTP", "units": 2}], "ratio": 0.25, "note": None, "ok": True},
    )
    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.compute_hash() == stored.hash == event.hash
    assert stored.changes == [["line 1 charge", "125.5", "130"], ["date of service", None, "2026-01-02"]]


def test_the_hash_covers_every_stored_field_but_the_id_and_itself():
    [event] = record()
    stored = {field.attname for field in AuditEvent._meta.concrete_fields} - {"id", "hash"}
    assert set(event.hashed_content()) == stored


CHANGES = {
    "sequence": lambda e, other: setattr(e, "sequence", e.sequence + 1),
    "at": lambda e, other: setattr(e, "at", e.at + timedelta(microseconds=1)),
    "actor_id": lambda e, other: setattr(e, "actor_id", other.pk),
    "actor_name": lambda e, other: setattr(e, "actor_name", "Someone Else"),
    "action": lambda e, other: setattr(e, "action", "claim.voided"),
    "object_type": lambda e, other: setattr(e, "object_type", "patient"),
    "object_id": lambda e, other: setattr(e, "object_id", "8"),
    "claim_id": lambda e, other: setattr(e, "claim_id", 8),
    "summary": lambda e, other: setattr(e, "summary", e.summary + "."),
    "changes": lambda e, other: e.changes[0].__setitem__(2, "96375"),
    "data": lambda e, other: e.data.__setitem__("units", 3),
    "previous_hash": lambda e, other: setattr(e, "previous_hash", "f" * 64),
}


def test_every_hashed_field_has_a_case_below():
    [event] = record()
    assert set(CHANGES) == set(event.hashed_content())


@pytest.mark.parametrize("name", list(CHANGES))
def test_changing_any_one_field_changes_the_hash(name, biller, supervisor):
    event = event_record(
        action="claim.changed",
        actor=biller,
        object_type="claim",
        object_id=7,
        claim_id=7,
        summary="changed claim 7",
        changes=[["line 2 code", "96372", "96374"]],
        data={"units": 2},
    )
    CHANGES[name](event, supervisor)
    assert event.compute_hash() != event.hash


# --- append only -------------------------------------------------------------------------------------


def test_an_event_cannot_be_saved_again():
    [event] = record()
    event.summary = "nothing happened"
    with pytest.raises(AuditEventImmutable):
        event.save()
    assert AuditEvent.objects.get(pk=event.pk).summary == "changed claim 7 (1)"


def test_a_new_instance_with_an_existing_id_does_not_overwrite_the_event():
    [event] = record()
    forged = AuditEvent(pk=event.pk, sequence=2, actor_name="x", action="x", object_type="x", summary="forged")
    forged.previous_hash, forged.hash = event.hash, "f" * 64
    with pytest.raises(IntegrityError), transaction.atomic():
        forged.save()
    assert AuditEvent.objects.get(pk=event.pk).summary == "changed claim 7 (1)"


def test_an_event_cannot_be_deleted():
    [event] = record()
    with pytest.raises(AuditEventImmutable):
        event.delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


@pytest.mark.parametrize(
    "attempt",
    [
        lambda events: events.update(summary="nothing happened"),
        lambda events: events.delete(),
        lambda events: AuditEvent.objects.bulk_update(list(events), ["summary"]),
    ],
    ids=["update", "delete", "bulk_update"],
)
def test_the_queryset_refuses_to_change_or_delete(attempt):
    record(2)
    with pytest.raises(AuditEventImmutable):
        attempt(AuditEvent.objects.all())
    assert list(AuditEvent.objects.values_list("summary", flat=True)) == ["changed claim 7 (1)", "changed claim 7 (2)"]


# --- who and what, in plain words --------------------------------------------------------------------


@pytest.fixture
def maria(django_user_model):
    return django_user_model.objects.create_user("mlopez", first_name="Maria", last_name="Lopez")


def test_a_change_reads_as_a_sentence(maria):
    event = event_record(
        action="claim.changed",
        actor=maria,
        object_type="claim",
        object_id=7,
        claim_id=7,
        summary="changed claim 7",
        changes=[["line 2 code", "96372", "96374"]],
    )
    assert event.sentences() == ["Maria Lopez changed line 2 code from 96372 to 96374"]
    assert (event.actor, event.actor_name) == (maria, "Maria Lopez")


def test_set_cleared_and_lists_read_as_sentences(maria):
    event = event_record(
        action="claim.changed",
        actor=maria,
        object_type="claim",
        object_id=7,
        summary="changed claim 7",
        changes=[["line 1 modifiers", [], ["25", "59"]], ["prior authorisation", "PA123", ""], ["units", 1, 2]],
    )
    assert event.sentences() == [
        "Maria Lopez set line 1 modifiers to 25 59",
        "Maria Lopez cleared prior authorisation (was PA123)",
        "Maria Lopez changed units from 1 to 2",
    ]


def test_an_event_without_changes_reads_as_its_summary(maria):
    event = event_record(
        action="claim.submitted", actor=maria, object_type="claim", object_id=7, summary="submitted claim 7"
    )
    assert event.sentences() == ["Maria Lopez submitted claim 7"]


def test_actor_names(maria, django_user_model):
    assert actor_name(maria) == "Maria Lopez"
    assert actor_name(django_user_model.objects.create_user("jdoe")) == "jdoe"
    assert actor_name(None) == SYSTEM_ACTOR == "System"
    [event] = record()
    assert (event.actor, event.actor_name, event.sentences()) == (None, "System", ["System changed claim 7 (1)"])


def test_field_changes_lists_only_what_differs():
    labels = {"code": "line 2 code", "units": "line 2 units", "charge": "line 2 charge"}
    before = {"code": "96372", "units": 1, "charge": Decimal("25.00")}
    after = {"code": "96374", "units": 1, "charge": Decimal("25")}
    assert field_changes(before, after, labels) == [["line 2 code", "96372", "96374"]]
