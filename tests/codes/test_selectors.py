"""Which release and which rows apply to a date of service: both sides of every boundary."""

from datetime import date, timedelta

import pytest

from codes.choices import CodeOrigin, Source
from codes.dates import applies_between
from codes.models import AddOnEdit, ProcedureCode, PTPEdit, Release
from codes.selectors import ReleaseTimeline, fee_schedule_release_covering, release_for

D = date.fromisoformat
ONE_DAY = timedelta(days=1)


def make_release(source, label, effective):
    return Release.objects.create(
        source=source, label=label, effective_date=D(effective), file_name=f"{label}.csv", sha256=label
    )


@pytest.fixture
def mue_quarters(db):
    """MUE practitioner releases for 2026 Q2 and Q3 (rows carry no dates)."""
    q2 = make_release(Source.MUE_PRACTITIONER, "2026 Q2", "2026-04-01")
    q3 = make_release(Source.MUE_PRACTITIONER, "2026 Q3", "2026-07-01")
    return q2, q3


@pytest.mark.django_db
class TestUndatedTables:
    def test_release_applies_from_its_effective_date(self, mue_quarters):
        q2, q3 = mue_quarters
        timeline = ReleaseTimeline.load()
        assert timeline.for_date(Source.MUE_PRACTITIONER, D("2026-06-30")) == q2
        assert timeline.for_date(Source.MUE_PRACTITIONER, D("2026-07-01")) == q3
        assert timeline.for_date(Source.MUE_PRACTITIONER, D("2026-04-01")) == q2

    def test_oldest_release_covers_earlier_dates_of_service(self, mue_quarters):
        q2, _ = mue_quarters
        timeline = ReleaseTimeline.load()
        assert timeline.for_date(Source.MUE_PRACTITIONER, D("2026-03-31")) == q2
        assert timeline.for_date(Source.MUE_PRACTITIONER, D("2020-01-01")) == q2

    def test_newest_release_covers_later_dates(self, mue_quarters):
        _, q3 = mue_quarters
        assert ReleaseTimeline.load().for_date(Source.MUE_PRACTITIONER, D("2030-01-01")) == q3

    def test_nothing_loaded_gives_none(self, db):
        timeline = ReleaseTimeline.load()
        assert timeline.for_date(Source.PFS_RVU, D("2026-01-01")) is None
        assert not timeline.is_loaded(Source.PFS_RVU)

    def test_sources_have_their_own_timelines(self, mue_quarters):
        dme = make_release(Source.MUE_DME, "2025 Q4", "2025-10-01")
        timeline = ReleaseTimeline.load()
        assert timeline.for_date(Source.MUE_DME, D("2026-08-01")) == dme
        assert timeline.for_date(Source.MUE_PRACTITIONER, D("2025-12-01")) == mue_quarters[0]

    def test_a_later_import_with_the_same_effective_date_wins(self, mue_quarters):
        q2, _ = mue_quarters
        corrected = make_release(Source.MUE_PRACTITIONER, "2026 Q2 corrected", "2026-04-01")
        timeline = ReleaseTimeline.load()
        assert timeline.for_date(Source.MUE_PRACTITIONER, D("2026-05-01")) == corrected
        assert timeline.for_date(Source.MUE_PRACTITIONER, D("2026-04-01")) == corrected
        assert q2 in timeline.releases(Source.MUE_PRACTITIONER)  # still listed, never applied

    def test_release_for_is_one_query(self, mue_quarters, django_assert_num_queries):
        with django_assert_num_queries(1):
            assert release_for(Source.MUE_PRACTITIONER, D("2026-07-01")) == mue_quarters[1]

    def test_timeline_resolves_many_dates_in_one_query(self, mue_quarters, django_assert_num_queries):
        dates = [D("2026-01-01") + ONE_DAY * n for n in range(365)]
        with django_assert_num_queries(1):
            resolved = ReleaseTimeline.load().for_dates(Source.MUE_PRACTITIONER, dates)
        assert resolved[D("2026-06-30")] == mue_quarters[0]
        assert resolved[D("2026-07-01")] == mue_quarters[1]


@pytest.mark.django_db
class TestDatedTables:
    def test_newest_release_is_used_for_every_date(self, db):
        old = make_release(Source.PTP_PRACTITIONER, "v32.1", "2026-04-01")
        new = make_release(Source.PTP_PRACTITIONER, "v32.2", "2026-07-01")
        timeline = ReleaseTimeline.load()
        assert timeline.for_date(Source.PTP_PRACTITIONER, D("2026-05-01")) == new
        assert timeline.for_date(Source.PTP_PRACTITIONER, D("2020-01-01")) == new
        assert old in timeline.releases(Source.PTP_PRACTITIONER)

    def test_ptp_edit_applies_from_effective_until_the_day_before_deletion(self, db):
        release = make_release(Source.PTP_PRACTITIONER, "v32.2", "2026-07-01")
        edit = PTPEdit(
            release=release,
            setting="practitioner",
            column_1="0001A",
            column_2="36591",
            effective_date=D("2022-01-01"),
            deletion_date=D("2023-12-31"),
            modifier_indicator=0,
        )
        assert not edit.applies_on(D("2021-12-31"))
        assert edit.applies_on(D("2022-01-01"))
        assert edit.applies_on(D("2023-12-30"))
        assert not edit.applies_on(D("2023-12-31"))

    def test_ptp_edit_without_deletion_date_stays_open(self, db):
        edit = PTPEdit(column_1="11042", column_2="97597", effective_date=D("2016-01-01"), modifier_indicator=1)
        assert edit.applies_on(D("2099-12-31"))
        assert not edit.applies_on(D("2015-12-31"))

    def test_edit_deleted_on_its_effective_date_never_applies(self):
        edit = PTPEdit(effective_date=D("2022-01-01"), deletion_date=D("2022-01-01"), modifier_indicator=9)
        assert not edit.applies_on(D("2022-01-01"))

    def test_add_on_edit_deletion_date_is_its_last_day(self):
        edit = AddOnEdit(effective_date=D("2013-04-01"), deletion_date=D("2013-12-31"), edit_type=1)
        assert not edit.applies_on(D("2013-03-31"))
        assert edit.applies_on(D("2013-04-01"))
        assert edit.applies_on(D("2013-12-31"))
        assert not edit.applies_on(D("2014-01-01"))

    def test_hcpcs_code_valid_from_added_date_through_termination_date(self):
        code = ProcedureCode(
            code="J1030",
            system="HCPCS",
            origin=CodeOrigin.HCPCS_FILE,
            added_date=D("2000-01-01"),
            termination_date=D("2024-03-31"),
        )
        assert not code.is_valid_on(D("1999-12-31"))
        assert code.is_valid_on(D("2000-01-01"))
        assert code.is_valid_on(D("2024-03-31"))
        assert not code.is_valid_on(D("2024-04-01"))


@pytest.mark.parametrize(
    ("dos", "exclusive", "expected"),
    [
        ("2024-01-01", True, True),
        ("2024-03-31", True, False),
        ("2024-03-31", False, True),
        ("2024-04-01", False, False),
        ("2023-12-31", False, False),
    ],
)
def test_applies_between(dos, exclusive, expected):
    assert applies_between(D(dos), D("2024-01-01"), D("2024-03-31"), end_exclusive=exclusive) is expected


def test_open_ended_row_applies_everywhere():
    assert applies_between(D("1990-01-01"), None, None, end_exclusive=True)


# --- which fee-schedule file says which CPT codes exist on a date (issue 11) -----------------------------------


@pytest.mark.django_db
def test_the_fee_schedule_file_of_the_year_covers_its_dates_only():
    rvu25 = make_release(Source.PFS_RVU, "RVU25A", "2025-01-01")
    rvu26c = make_release(Source.PFS_RVU, "RVU26C", "2026-07-01")
    timeline = ReleaseTimeline.load()
    assert fee_schedule_release_covering(timeline, date(2025, 12, 31)) == rvu25
    assert fee_schedule_release_covering(timeline, date(2026, 7, 1)) == rvu26c
    assert fee_schedule_release_covering(timeline, date(2026, 6, 30)) is None  # RVU25A is last year's file
    assert fee_schedule_release_covering(timeline, date(2027, 1, 4)) is None  # RVU26C cannot vouch for 2027
    assert fee_schedule_release_covering(timeline, date(2024, 5, 1)) is None  # nor RVU25A for 2024


@pytest.mark.django_db
def test_a_starter_fee_schedule_covers_nothing():
    make_release(Source.PFS_RVU, "starter (2026 Q1)", "2026-01-01")
    Release.objects.update(is_starter=True)
    assert fee_schedule_release_covering(ReleaseTimeline.load(), date(2026, 3, 9)) is None
