"""The pre-filters of the rules changed for issue 11 part 2 (GLB-PREOP-EM-57's claim pre-filter, COD-UNLISTED-DESC's
and MCR-HCPCS-SUBST's code pre-filters, DEM-SEX-PROC's claim pre-filter over the sex families) spare only calls
that would find nothing: with every pre-filter switched off, these claims give the same findings."""

import pytest

from claims.rules import load_rule_modules

from .builders import claim, fee, line, ptp, reference, run

load_rule_modules()

MALE = {"dob": "1956-05-20", "sex": "M"}
FEMALE = {"dob": "1979-02-02", "sex": "F"}
HISTORY_93010 = {"code": "93010", "dos": "2025-05-01", "rendering_npi": "1234567893", "specialty": "11"}


def _ref():
    codes = ["27447", "99214", "99203", "93010", "58150", "17999", "97014", "80047", "82330", "93000", "17000"]
    return reference(
        codes=codes,
        fee=[
            fee("27447", global_days="090"),
            fee("17000", global_days="010"),
            fee("93010", pctc_indicator="2"),
            fee("99214"),
            fee("99203"),
            fee("97014", "I"),
        ],
        ptp=[ptp("27447", "99214", 1), ptp("80047", "82330", 1), ptp("93000", "93010", 1)],
    )


CLAIMS = [
    claim(line(1, "99214", modifiers=["25"]), line(2, "27447")),
    claim(line(1, "99214"), line(2, "27447")),
    claim(line(1, "99214", dos="2026-03-08"), line(2, "27447")),
    claim(line(1, "99214"), line(2, "17000")),
    claim(line(1, "99203"), history=[HISTORY_93010]),
    claim(line(1, "58150"), patient=MALE, diagnoses=["D25.9"]),
    claim(line(1, "58150", modifiers=["KX"]), patient=FEMALE, diagnoses=["N40.0"]),
    claim(line(1, "17999"), line(2, "97014")),
    claim(line(1, "80047"), line(2, "82330", modifiers=["91"])),
    claim(line(1, "93000"), line(2, "93010", modifiers=["91"])),
]


@pytest.mark.parametrize("data", CLAIMS, ids=lambda data: "+".join(item["code"] for item in data["lines"]))
def test_pre_filters_never_change_the_findings(data):
    assert sorted(run(data, _ref()), key=str) == sorted(run(data, _ref(), use_prefilters=False), key=str)


def test_the_claims_show_the_rules_firing():
    found = {rule for data in CLAIMS for _, rule in run(data, _ref())}
    assert {"GLB-PREOP-EM-57", "PTP-MI1-NOMOD", "DEM-SEX-PROC", "DEM-SEX-DX", "COD-UNLISTED-DESC"} <= found
    assert "MCR-HCPCS-SUBST" in found
