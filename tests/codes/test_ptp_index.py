"""The PTP index (codes/ptp_index.py): the same rows as the table, built on import, gone with its release."""

import random
from datetime import date

import pytest
from django.db import connection

from codes import ptp_index
from codes.choices import PTPModifierIndicator, Source
from codes.importers.ptp import PTPImporter
from codes.models import PTPEdit, Release
from codes.ptp_index import PTPRow, active_rows, open_index, row_order
from tests.codes.factories import make_ptp, make_release

pytestmark = pytest.mark.django_db

HEADER = [
    "Notice line\t\t\t\t\t\t",
    "Column1/Column2 Edits\t\t\t\t\t\t",
    "Column 1\tColumn 2\t*=in existence\tEffective\tDeletion\tModifier\tPTP Edit Rationale",
    "\t\tprior to 1996\tDate\tDate\t0=not allowed\t",
    "\t\t\t\t*=no data\t1=allowed\t",
    "\t\t\t\t\t9=not applicable\t",
]


@pytest.fixture(autouse=True)
def index_dir(tmp_path, settings):
    settings.REFERENCE_INDEX_DIR = tmp_path / "index"
    ptp_index._OPEN.clear()
    yield settings.REFERENCE_INDEX_DIR
    ptp_index._OPEN.clear()


def table_rows(release: Release) -> dict[tuple[str, str], list[PTPRow]]:
    """The plain reading: the release's active rows from the database, by pair, in ``row_order``."""
    by_pair: dict[tuple[str, str], list[PTPRow]] = {}
    for values in active_rows(release.pk).values_list(*ptp_index.ROW_COLUMNS):
        row = PTPRow(*values)
        by_pair.setdefault((row.column_1, row.column_2), []).append(row)
    return {pair: sorted(rows, key=row_order) for pair, rows in by_pair.items()}


def random_table(release: Release, codes: list[str], seed: int) -> None:
    rng = random.Random(seed)
    days = [None, date(2019, 1, 1), date(2024, 4, 1), date(2025, 7, 1)]
    rows = []
    for _ in range(400):
        first, second = rng.sample(codes, 2)
        for _ in range(rng.choice([1, 1, 1, 2, 3])):  # some pairs have several rows (dates, indicators)
            start, end = sorted(rng.sample(days[1:], 2)) if rng.random() < 0.4 else (rng.choice(days), None)
            rows.append(
                PTPEdit(
                    release=release,
                    setting="practitioner",
                    column_1=first,
                    column_2=second,
                    effective_date=start,
                    deletion_date=end,
                    modifier_indicator=rng.choice([0, 1, 1, 9]),
                    rationale=rng.choice(["Misuse of column two code", "Standards of medical / surgical practice", ""]),
                )
            )
    PTPEdit.objects.bulk_create(rows)


def test_the_index_answers_exactly_what_the_table_holds():
    """Every ordered pair of the code universe (with and without rows): the same rows in the same
    order; every code: column 2 of some active row or not."""
    release = make_release(Source.PTP_PRACTITIONER, "v30.1")
    codes = [f"{n:05d}" for n in range(10000, 10060)] + ["G0283", "J1100", "0591T"]
    random_table(release, codes, seed=11)
    expected = table_rows(release)
    index = open_index(release)
    assert index.rows_count == active_rows(release.pk).count() > 0
    for first in [*codes, "99999"]:
        for second in [*codes, "99999"]:
            assert list(index.rows(first, second)) == expected.get((first, second), []), (first, second)
    column_two = {second for _, second in expected}
    assert {code for code in codes if index.is_column_two(code)} == column_two
    # The pairs among a claim's codes: every code of the universe, and a part of it (pairs leaving it are not).
    for among in ([*codes, "99999"], codes[::3] + ["99999"]):
        wanted = {}
        for first, second in expected:
            if first in among and second in among:
                wanted.setdefault(second, set()).add(first)
        assert index.edits_among(among) == wanted
    assert any(len(rows) > 1 for rows in expected.values())  # the order of a pair's rows is tested too
    assert not any(row.modifier_indicator == 9 for rows in expected.values() for row in rows)


def test_an_index_of_another_release_or_database_state_is_never_used(index_dir):
    release = make_release(Source.PTP_PRACTITIONER, "v30.1")
    make_ptp(release, "96372", "99211", modifier_indicator=PTPModifierIndicator.NOT_ALLOWED)
    index = open_index(release)
    assert [row.modifier_indicator for row in index.rows("96372", "99211")] == [0]
    # The release is imported again from a corrected file: another SHA-256, other rows.
    PTPEdit.objects.filter(release=release).delete()
    make_ptp(release, "96372", "99212")
    release.sha256 = "f" * 64
    release.save()
    rebuilt = open_index(release)
    assert rebuilt.rows("96372", "99211") == ()
    assert [row.column_2 for row in rebuilt.rows("96372", "99212")] == ["99212"]
    assert len(list(index_dir.glob("ptp-*.idx"))) == 1  # the stale file was replaced


def write_official(directory, name: str, rows: list[str]):
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_bytes(("\r\n".join([*HEADER, *rows]) + "\r\n").encode())
    return path


@pytest.mark.django_db(transaction=True)
def test_import_builds_the_index_and_deleting_the_release_removes_it(tmp_path, index_dir):
    """On import (once the transaction commits) the index is written; a corrected file of the same
    release replaces it; deleting the release deletes it."""
    rows = [
        "96372\t99211\t\t20200101\t*\t0\tStandards of medical / surgical practice",
        "20610\t20611\t\t20200101\t*\t1\tMutually exclusive procedures",
        "20610\t76942\t\t20200101\t*\t9\tNot applicable",
    ]
    PTPImporter(write_official(tmp_path, "ccipra-v322r0-f1.txt", rows)).run()
    release = Release.objects.get(source=Source.PTP_PRACTITIONER)
    [path] = index_dir.glob("ptp-*.idx")
    assert path == ptp_index.index_path(release)
    index = ptp_index.PTPIndex(path, release)  # opened as written, not rebuilt
    assert [row.modifier_indicator for row in index.rows("96372", "99211")] == [0]
    assert index.rows("20610", "76942") == ()  # indicator 9: no row the rules read
    assert index.rows_count == 2

    corrected = [*rows[:1], "20610\t20611\t\t20200101\t20250101\t1\tMutually exclusive procedures"]
    PTPImporter(write_official(tmp_path / "fixed", "ccipra-v322r0-f1.txt", corrected)).run()
    release.refresh_from_db()
    [path] = index_dir.glob("ptp-*.idx")
    assert path == ptp_index.index_path(release)
    [row] = open_index(release).rows("20610", "20611")
    assert row.deletion_date == date(2025, 1, 1)

    release.delete()
    assert list(index_dir.glob("ptp-*.idx")) == []


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_import_builds_nothing(tmp_path, index_dir):
    rows = ["96372\t99211\t\t20200101\t*\t0\tStandards of medical / surgical practice"]
    PTPImporter(write_official(tmp_path, "ccipra-v322r0-f1.txt", rows), dry_run=True).run()
    assert Release.objects.count() == 0
    assert not index_dir.exists() or list(index_dir.glob("ptp-*.idx")) == []


def test_the_database_is_part_of_the_index_name(index_dir):
    """Several databases (tests, benches, the development database) may share the directory."""
    release = make_release(Source.PTP_PRACTITIONER, "v30.1")
    name = ptp_index.index_path(release).name
    assert name.startswith(f"ptp-{ptp_index._database_tag()}-{release.pk}-")
    assert connection.settings_dict["NAME"] not in name
