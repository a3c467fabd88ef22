"""verify_audit_log: an intact chain passes; a row changed, deleted or inserted behind the app's back is named."""

import pytest
from django.db import DatabaseError, connection, transaction

from audit.management.commands.verify_audit_log import chain_check
from audit.models import GENESIS_HASH, AuditEvent

from .helpers import behind_the_apps_back, insert_copy, on_postgresql, record, verify, verify_fails

pytestmark = pytest.mark.django_db

FAKE_HASH = "f" * 64


@pytest.fixture
def chain() -> list[AuditEvent]:
    return record(5)


def test_an_empty_log_is_intact():
    assert verify() == "audit log intact: 0 events"


def test_an_intact_log_passes(chain):
    assert verify() == f"audit log intact: 5 events, last #5 hash {chain[-1].hash}"


def test_the_check_reads_the_events_as_a_stream(chain):
    """The command hands ``chain_check`` an iterator, never a list of the whole log."""
    seen = []

    def events():
        for event in AuditEvent.objects.order_by("sequence"):
            seen.append(event.sequence)
            yield event

    check = chain_check(events())
    assert (check.problem, check.count, check.last.sequence, seen) == ("", 5, 5, [1, 2, 3, 4, 5])


# --- changed -----------------------------------------------------------------------------------------


def test_a_changed_row_is_named(chain):
    with behind_the_apps_back() as cursor:
        cursor.execute("UPDATE audit_auditevent SET summary = 'nothing happened' WHERE sequence = 3")
    assert verify_fails() == f"audit log broken at event #3 (id {chain[2].pk}): its hash does not match its content"


def test_a_changed_row_with_its_hash_recomputed_breaks_the_next_link(chain):
    forged = AuditEvent.objects.get(sequence=3)
    forged.summary = "nothing happened"
    with behind_the_apps_back() as cursor:
        cursor.execute(
            "UPDATE audit_auditevent SET summary = %s, hash = %s WHERE sequence = 3",
            [forged.summary, forged.compute_hash()],
        )
    assert verify_fails() == f"audit log broken at event #4 (id {chain[3].pk}): previous_hash does not match event #3"


def test_the_first_broken_event_is_named_when_several_are(chain):
    with behind_the_apps_back() as cursor:
        cursor.execute("UPDATE audit_auditevent SET action = 'x' WHERE sequence IN (2, 4)")
    assert verify_fails().startswith("audit log broken at event #2 ")


def test_a_first_event_not_linked_to_the_genesis_hash_is_named(chain):
    first = AuditEvent.objects.get(sequence=1)
    first.previous_hash = FAKE_HASH
    with behind_the_apps_back() as cursor:
        cursor.execute(
            "UPDATE audit_auditevent SET previous_hash = %s, hash = %s WHERE sequence = 1",
            [FAKE_HASH, first.compute_hash()],
        )
    broken = f"audit log broken at event #1 (id {first.pk})"
    assert verify_fails() == f"{broken}: previous_hash does not match the genesis hash"


# --- deleted -----------------------------------------------------------------------------------------


def test_a_deleted_row_is_named(chain):
    with behind_the_apps_back() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE sequence = 3")
    assert verify_fails() == "event #3 missing: sequence jumps from #2 to #4"


def test_a_deleted_first_row_is_named(chain):
    with behind_the_apps_back() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE sequence = 1")
    assert verify_fails() == "event #1 missing: the log starts at #2"


def test_deleting_the_newest_events_shows_only_in_the_count_and_last_hash(chain):
    """The chain cannot tell a cut-off tail from a shorter log: compare with a count and hash noted earlier."""
    with behind_the_apps_back() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE sequence >= 4")
    assert verify() == f"audit log intact: 3 events, last #3 hash {chain[2].hash}"


# --- inserted ----------------------------------------------------------------------------------------


def test_a_row_inserted_into_a_gap_is_named(chain):
    with behind_the_apps_back() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE sequence = 3")
        forged = insert_copy(cursor, of=2, sequence=3, summary="forged", previous_hash=chain[1].hash, hash=FAKE_HASH)
    assert verify_fails() == f"audit log broken at event #3 (id {forged.pk}): its hash does not match its content"


def test_a_row_inserted_into_a_gap_with_a_correct_hash_breaks_the_next_link(chain):
    template = AuditEvent.objects.get(sequence=2)
    template.sequence, template.summary, template.previous_hash = 3, "forged", chain[1].hash
    with behind_the_apps_back() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE sequence = 3")
        forged = insert_copy(
            cursor, of=2, sequence=3, summary="forged", previous_hash=chain[1].hash, hash=template.compute_hash()
        )
    assert forged.compute_hash() == forged.hash  # the forged row is consistent in itself
    assert verify_fails() == f"audit log broken at event #4 (id {chain[3].pk}): previous_hash does not match event #3"


def test_a_row_inserted_at_the_end_is_named(chain):
    with behind_the_apps_back() as cursor:
        forged = insert_copy(cursor, of=5, sequence=6, summary="forged", previous_hash=chain[4].hash, hash=FAKE_HASH)
    assert verify_fails() == f"audit log broken at event #6 (id {forged.pk}): its hash does not match its content"


def test_a_row_inserted_at_the_end_linked_to_the_wrong_event_is_named(chain):
    template = AuditEvent.objects.get(sequence=5)
    template.sequence, template.summary, template.previous_hash = 6, "forged", GENESIS_HASH
    with behind_the_apps_back() as cursor:
        forged = insert_copy(
            cursor, of=5, sequence=6, summary="forged", previous_hash=GENESIS_HASH, hash=template.compute_hash()
        )
    assert verify_fails() == f"audit log broken at event #6 (id {forged.pk}): previous_hash does not match event #5"


def test_a_row_inserted_past_the_end_is_named(chain):
    with behind_the_apps_back() as cursor:
        insert_copy(cursor, of=5, sequence=9, summary="forged", previous_hash=chain[4].hash, hash=FAKE_HASH)
    assert verify_fails() == "event #6 missing: sequence jumps from #5 to #9"


# --- PostgreSQL refuses UPDATE and DELETE ------------------------------------------------------------


@pytest.mark.parametrize(
    ("operation", "statement"),
    [
        ("UPDATE", "UPDATE audit_auditevent SET summary = 'nothing happened' WHERE sequence = 3"),
        ("DELETE", "DELETE FROM audit_auditevent"),
    ],
)
def test_postgresql_refuses_update_and_delete(chain, operation, statement):
    if not on_postgresql():
        pytest.skip("the refusing triggers exist on PostgreSQL only")
    refused = f"audit events are append-only: {operation} refused on audit_auditevent"
    with pytest.raises(DatabaseError, match=refused), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement)
    assert list(AuditEvent.objects.values_list("summary", flat=True)) == [e.summary for e in chain]
    assert verify().startswith("audit log intact: 5 events")
