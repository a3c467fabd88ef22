"""The batch check (claims read a chunk at a time, reference facts loaded per chunk for the codes not
seen before, PTP pairs from the release's memory-mapped index) gives exactly the findings of the plain
path (``check_document``: every fact read from the database for the claims' codes), on a generated
corpus across the whole code universe of the test's reference data."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, timedelta

import pytest

from claims.rules import batch, check_document
from codes import ptp_index
from codes.choices import Source
from codes.models import PTPEdit
from tests.codes.factories import make_addon, make_code, make_fee, make_mue, make_release

pytestmark = pytest.mark.django_db

CLAIMS = 2000
TODAY = date(2026, 3, 12)
PROCEDURES = [f"{n}" for n in range(20600, 20640)]
VISITS = ["99202", "99203", "99211", "99212", "99213", "99214", "99215"]
LABS = ["80048", "80053", "85025", "83036", "84443"]
OTHERS = ["96372", "J1100", "G0283", "97014", "0591T"]
UNIVERSE = PROCEDURES + VISITS + LABS + OTHERS
MODIFIERS = ["", "", "", "XS", "59", "25", "57", "RT", "LT", "91", "26", "XE"]
DAYS = [None, date(2019, 1, 1), date(2024, 4, 1), date(2025, 7, 1), date(2026, 1, 1)]


@pytest.fixture
def reference(tmp_path, settings):
    settings.REFERENCE_INDEX_DIR = tmp_path / "index"
    ptp_index._OPEN.clear()
    rng = random.Random(20260312)
    codes = make_release(Source.HCPCS, "2026 January", effective_date=date(2019, 1, 1))
    for code in UNIVERSE:
        make_code(code, release=codes, added_date=date(2000, 1, 1))
    rvu = make_release(Source.PFS_RVU, "RVU25A", effective_date=date(2019, 1, 1))
    for code in UNIVERSE:
        if rng.random() < 0.8:
            make_fee(
                rvu,
                code,
                status=rng.choice("AAAAXIB"),
                global_days=rng.choice(["000", "010", "090", "XXX", "ZZZ"]),
                pctc_indicator=rng.choice("0012"),
                bilateral_surgery=rng.choice("0123"),
            )
    mue = make_release(Source.MUE_PRACTITIONER, "MUE 2026Q1", effective_date=date(2019, 1, 1))
    for code in UNIVERSE:
        if rng.random() < 0.7:
            make_mue(mue, code, value=rng.choice([0, 1, 1, 2, 3]), adjudication_indicator=rng.choice([1, 2, 3]))
    aoc = make_release(Source.AOC, "AOC 2026Q1", effective_date=date(2019, 1, 1))
    for add_on, primary in (("20639", "20610"), ("20638", "20611"), ("20638", "20612")):
        make_addon(aoc, add_on, primary)
    ptp = make_release(Source.PTP_PRACTITIONER, "v31.0", effective_date=date(2019, 1, 1))
    rows = []
    for _ in range(900):
        first, second = rng.sample(UNIVERSE, 2)
        for _ in range(rng.choice([1, 1, 1, 2, 3])):
            start, end = sorted(rng.sample(DAYS[1:], 2)) if rng.random() < 0.4 else (rng.choice(DAYS), None)
            rows.append(
                PTPEdit(
                    release=ptp,
                    setting="practitioner",
                    column_1=first,
                    column_2=second,
                    effective_date=start,
                    deletion_date=end,
                    modifier_indicator=rng.choice([0, 1, 1, 1, 9]),
                    rationale=rng.choice(["Misuse of column two code", "Standards of medical / surgical practice"]),
                )
            )
    PTPEdit.objects.bulk_create(rows)
    yield
    ptp_index._OPEN.clear()


def generated_claims(count: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    npis = ["1234567893", "1245319599", "1003000126"]
    claims = []
    for number in range(1, count + 1):
        dos = date(2023, 6, 1) + timedelta(days=rng.randrange(1000))
        npi = rng.choice(npis)
        lines = []
        for index in range(1, rng.randint(1, 12) + 1):
            modifiers = sorted({m for m in rng.sample(MODIFIERS, rng.choice([1, 1, 2])) if m})
            line = {
                "line": index,
                "code": rng.choice(UNIVERSE),
                "modifiers": modifiers,
                "units": rng.choice([1, 1, 2, 3]),
            }
            line["charge"], line["dx_pointers"] = 10, ["A"]
            if rng.random() < 0.1:
                line["dos"] = (dos + timedelta(days=rng.choice([0, 1]))).isoformat()
            lines.append(line)
        history = [
            {
                "code": rng.choice(UNIVERSE),
                "dos": (dos - timedelta(days=rng.choice([0, 0, 1, 30]))).isoformat(),
                "rendering_npi": rng.choice([npi, npi, npis[0]]),
                "status": rng.choice(["paid", "paid", "denied"]),
            }
            for _ in range(rng.choice([0, 0, 0, 1, 2]))
        ]
        claims.append(
            {
                "id": f"G-{number}",
                "payer_type": rng.choice(["medicare", "medicare", "commercial", "medicaid"]),
                "patient": {"dob": "1950-05-05", "sex": rng.choice("FM")},
                "rendering_npi": npi,
                "dos": dos.isoformat(),
                "submission_date": (dos + timedelta(days=10)).isoformat(),
                "diagnoses": ["M17.11", "I10"],
                "history": history,
                "lines": lines,
            }
        )
    return claims


def test_the_batch_path_gives_the_findings_of_the_plain_path(reference, monkeypatch):
    claims = generated_claims(CLAIMS, seed=7)
    used = {line["code"] for claim in claims for line in claim["lines"]}
    assert used == set(UNIVERSE)  # the whole code universe
    plain = check_document({"claims": claims}, today=TODAY)
    monkeypatch.setattr(batch, "CHUNK_CLAIMS", 37)  # many chunks, each loading the codes it is first to see
    reference_data, results = batch.iter_batch(claims, jobs=1, today=TODAY)
    assert {"claims": list(results), "reference_data": reference_data} == plain
    rules = Counter(finding["rule"] for claim in plain["claims"] for finding in claim["findings"])
    assert rules["PTP-MI0"] > 100 and rules["PTP-MI1-NOMOD"] > 100  # the PTP look-ups are what is compared


def test_one_claim_at_a_time_gives_the_same_findings(reference):
    """The interactive path loads only one claim's codes (its PTP rows from the database)."""
    claims = generated_claims(300, seed=8)
    whole = check_document({"claims": claims}, today=TODAY)["claims"]
    one_by_one = [check_document({"claims": [claim]}, today=TODAY)["claims"][0] for claim in claims]
    assert one_by_one == whole
    assert any(f["rule"].startswith("PTP-") for claim in whole for f in claim["findings"])


def test_without_a_writable_index_directory_the_batch_reads_the_pairs_from_the_table(
    reference, settings, tmp_path, monkeypatch
):
    """No index can be written (e.g. a read-only directory): each chunk reads the PTP rows of its new
    codes (with every code loaded before) from the table, with the same findings."""
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    settings.REFERENCE_INDEX_DIR = blocker / "index"
    claims = generated_claims(600, seed=9)
    plain = check_document({"claims": claims}, today=TODAY)
    monkeypatch.setattr(batch, "CHUNK_CLAIMS", 29)
    reference_data, results = batch.iter_batch(claims, jobs=1, today=TODAY)
    assert {"claims": list(results), "reference_data": reference_data} == plain
    assert not (blocker / "index").exists()


def test_many_codes_read_their_pairs_from_the_index_with_the_same_findings(reference, monkeypatch):
    """``check_document`` of a big document (the API, a background batch's part) reads the PTP pairs of more
    than ``PTP_QUERY_MAX_CODES`` codes from the release's index instead of querying the pairs among them: the
    same findings as the query gives."""
    from claims.rules import reference as reference_module

    claims = generated_claims(500, seed=10)
    queried = check_document({"claims": claims}, today=TODAY)  # the universe's 57 codes: a query
    opened = []
    real = ptp_index.open_index
    monkeypatch.setattr(ptp_index, "open_index", lambda *args: opened.append(args) or real(*args))
    monkeypatch.setattr(reference_module, "PTP_QUERY_MAX_CODES", 20)
    assert check_document({"claims": claims}, today=TODAY) == queried
    assert opened  # the index answered
    assert any(f["rule"].startswith("PTP-") for claim in queried["claims"] for f in claim["findings"])
