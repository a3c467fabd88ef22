"""837P writer: round trips of every sample, control numbers and HL hierarchy, and pyx12's
validation of what it writes (against the 005010X222A1 map)."""

import dataclasses
import io

import pytest

from edi.claims837 import Reader837, read_837p
from edi.records import Party
from edi.write837 import amount_text, render_837p
from edi.x12 import X12Reader

from .builders import full_interchange
from .conftest import SAMPLE_NAMES, pyx12_findings, sample_path, sample_text


def as_a1(interchange):
    for transaction in interchange.transactions:
        transaction.version = "005010X222A1"
    return interchange


# ---- round trips ----------------------------------------------------------------------------
@pytest.mark.shared_data
@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_every_sample_reads_back_equal_after_writing(name):
    original = read_837p(sample_path(name))
    written = render_837p(original)
    assert "005010X222A2" not in written and written.count("005010X222A1") == 2  # GS08 and ST03
    assert read_837p(written.encode()) == as_a1(original)


@pytest.mark.shared_data
@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_writing_a_sample_adds_no_pyx12_finding(name):
    """pyx12 finds nothing in the written file that it does not find in the sample itself (read as A1).
    Three samples have faults of their own that a faithful writer keeps (no CLM05-2, no 2330B, AMT*F2
    in 2320); demo.example9's pointer "1.00" is written "1", which pyx12 then accepts."""
    original_text = sample_text(name).replace("005010X222A2", "005010X222A1")
    reader = X12Reader(io.StringIO(original_text))
    list(reader.segments())
    if reader.delimiters.component_overridden:  # pyx12 trusts ISA16: give it the file as its writer meant it
        original_text = original_text[:106] + original_text[106:].replace(">", ":")
    written = render_837p(read_837p(sample_path(name)))
    _valid, original_findings = pyx12_findings(original_text)
    valid, written_findings = pyx12_findings(written)
    assert set(written_findings) <= set(original_findings)
    assert valid == (not written_findings)
    if name == "demo.example9.837":
        assert original_findings and not written_findings


def test_built_claims_read_back_equal():
    interchange = full_interchange()
    assert read_837p(render_837p(interchange).encode()) == interchange


# ---- pyx12 validation of a file exercising every field ---------------------------------------
def test_pyx12_accepts_drug_ndc_cob_referring_accident_and_replacement_claims():
    text = render_837p(full_interchange())
    # the file does exercise what it is meant to
    for expected in ("LIN**N4*00409379301", "CTP****2*ML", "SBR*S*01*G-551", "NM1*PR*2*MUTUAL AUTO INSURANCE",
                     "OI***Y*P**Y", "AMT*D*200", "NM1*DN*1*OKAFOR", "CLM*PCN-2026-0001*330.5***11:B:7",
                     "AA:::NY", "DTP*439*D8*20260301", "REF*F8*EHP-ICN-99887766", "HI*ABK:S134XXA*ABF:V4352XA",
                     "HL*3*2*23*0", "PRV*PE*PXC*208D00000X", "NM1*77*2*NORTHSIDE URGENT CARE", "CLM*PCN-2026-0002",
                     "AMT*D*200", "REF*XZ*RX7788"):
        assert expected in text
    valid, findings = pyx12_findings(text)
    assert findings == []
    assert valid is True


def test_pyx12_check_sees_real_errors_in_a_written_file():
    """The validation above is not vacuous: the same claims with faults are rejected, with the reasons."""
    interchange = full_interchange()
    claim = interchange.transactions[0].claims[0]
    claim.billing_provider = dataclasses.replace(claim.billing_provider, address=None)
    claim.place_of_service = ""
    claim.lines[0].charge = None
    valid, findings = pyx12_findings(render_837p(interchange))
    assert valid is False
    assert any(f.startswith("N4: Mandatory segment") and "Billing Provider City" in f for f in findings)
    assert any(f.startswith("CLM:") and "(CLM05-01) is missing" in f for f in findings)
    assert any(f.startswith("SV1:") and "(SV102) is missing" in f for f in findings)


# ---- envelope, control numbers, hierarchy ---------------------------------------------------------
def segments_of(text):
    return list(X12Reader(io.StringIO(text)).segments())


def test_control_numbers_are_the_ones_passed_in_and_the_trailers_match():
    text = render_837p(full_interchange())
    segments = segments_of(text)  # the reader checks SE01, SE02, GE02, IEA02 itself
    by_id = {segment.id: segment for segment in segments}
    assert (by_id["ISA"][13], by_id["IEA"][2], by_id["IEA"][1]) == ("000001042", "000001042", "1")
    assert (by_id["GS"][6], by_id["GE"][2], by_id["GE"][1]) == ("42", "42", "1")
    assert (by_id["ST"][2], by_id["SE"][2]) == ("0042", "0042")
    lines = text.splitlines()
    assert by_id["SE"][1] == str(lines.index("SE*106*0042~") - lines.index("ST*837*0042*005010X222A1~") + 1)
    assert len(lines[0]) == 106 and lines[0][-2:] == ":~"  # the ISA is fixed width


def test_hl_hierarchy_groups_claims_of_the_same_provider_and_subscriber():
    segments = segments_of(render_837p(full_interchange()))
    hl = [(s[1], s[2], s[3], s[4]) for s in segments if s.id == "HL"]
    # claim 1 (with a pay-to and a dependent patient) / claims 2 and 3 share provider and subscriber HLs
    assert hl == [("1", "", "20", "1"), ("2", "1", "22", "1"), ("3", "2", "23", "0"),
                  ("4", "", "20", "1"), ("5", "4", "22", "0")]
    assert sum(1 for s in segments if s.id == "CLM") == 3


def test_amounts_are_written_without_exponent_or_needless_zeros():
    from decimal import Decimal

    assert [amount_text(Decimal(v)) for v in ("100.00", "1E+2", "21.50", "0.00", "-3.10", "0.005")] == [
        "100", "100", "21.5", "0", "-3.1", "0.005"]


def test_a_value_holding_a_separator_is_refused():
    interchange = full_interchange()
    interchange.transactions[0].claims[0].notes[0].text = "SEE NOTE*2"
    with pytest.raises(ValueError, match=r"NTE02 'SEE NOTE\*2' contains an X12 separator"):
        render_837p(interchange)


# ---- streaming --------------------------------------------------------------------------------
class CountingStream(io.StringIO):
    """Remembers how far the reader has read."""

    furthest = 0

    def read(self, size=-1):
        chunk = super().read(size)
        self.furthest = self.tell()
        return chunk


def test_claims_are_yielded_before_the_whole_file_is_read():
    text = render_837p(full_interchange(extra_claims=600))
    stream = CountingStream(text)
    reader = Reader837(stream)
    reader.x12.chunk_size = 4096
    claims = reader.claims()
    _transaction, first = next(claims)
    assert first.claim_id == "PCN-2026-0001"
    assert stream.furthest < len(text) / 20
    assert sum(1 for _ in claims) == 602


def test_party_defaults_write_a_bare_pay_to_name():
    interchange = full_interchange()
    interchange.transactions[0].claims[0].pay_to = Party("87")
    assert "NM1*87*2~" in render_837p(interchange)
