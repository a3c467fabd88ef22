"""The X12 envelope reader: separators from the ISA, the declared-but-unused component separator,
streaming, and malformed files reported with segment number, ID and reason."""

import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edi.x12 import X12Error, X12Reader, iter_segments, parse_delimiters

ISA = "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *260310*0930*^*00501*000000007*0*T*:~"


def interchange(body=("BHT*0019*00*1*20260310*0930*CH",), *, isa=ISA, gs06="5", ge02=None, st02="0001",
                se02=None, se01=None, iea02="000000007", iea01="1", ge01="1", trailer=True):
    """ISA GS ST <body> SE GE IEA, one segment per line; each control value can be broken on purpose."""
    segments = [isa.rstrip("~"), f"GS*HC*S*R*20260310*0930*{gs06}*X*005010X222A1", f"ST*837*{st02}*005010X222A1"]
    segments += list(body)
    segments.append(f"SE*{se01 if se01 is not None else len(body) + 2}*{se02 or st02}")
    if trailer:
        segments += [f"GE*{ge01}*{ge02 or gs06}", f"IEA*{iea01}*{iea02}"]
    return "".join(segment + "~\n" for segment in segments)


def read_all(text: str, **kwargs):
    return list(X12Reader(io.StringIO(text), **kwargs).segments())


def error_of(text: str) -> X12Error:
    with pytest.raises(X12Error) as caught:
        read_all(text)
    return caught.value


# ---- separators ---------------------------------------------------------------------------
def test_separators_come_from_the_isa():
    delimiters = parse_delimiters(ISA)
    assert (delimiters.element, delimiters.component, delimiters.segment, delimiters.repetition) == ("*", ":", "~", "^")


def test_other_separators_and_newline_terminator_read_the_same_segments():
    text = interchange(body=["BHT*0019*00*1*20260310*0930*CH", "SV1*HC:99213:25*40*UN*1***1:2"])
    other = text.replace("~\n", "\n").replace("*", "|").replace(":", ">").replace("^", "!")
    standard, converted = read_all(text), read_all(other)
    assert [s.id for s in standard] == [s.id for s in converted]
    sv1 = next(s for s in converted if s.id == "SV1")
    assert sv1.components(1) == ["HC", "99213", "25"] and sv1.components(7) == ["1", "2"]
    assert [s.elements for s in standard if s.id != "ISA"] == [
        tuple(e.replace(">", ":") for e in s.elements) for s in converted if s.id != "ISA"
    ]


@pytest.mark.parametrize("layout", ["\r\n", "", "\n\n"])
def test_line_breaks_after_terminators_are_ignored(layout):
    text = interchange().replace("~\n", "~" + layout)
    assert [s.id for s in read_all(text)] == ["ISA", "GS", "ST", "BHT", "SE", "GE", "IEA"]


def test_segments_are_numbered_from_the_isa_and_read_in_small_chunks():
    text = interchange(body=["BHT*0019*00*1*20260310*0930*CH", "NM1*41*2*X*****46*1"])
    small = read_all(text, chunk_size=7)
    assert [(s.number, s.id) for s in small] == list(enumerate(["ISA", "GS", "ST", "BHT", "NM1", "SE", "GE", "IEA"], 1))
    assert [s.elements for s in small] == [s.elements for s in read_all(text)]


def test_a_declared_component_separator_the_composites_do_not_use_is_replaced_by_the_one_they_use():
    body = ["BHT*0019*00*1*20260310*0930*CH", "CLM*A1*40***11>B>1*Y*A*Y*Y", "SV1*HC>98940>25*40*UN*1***1>2"]
    reader = X12Reader(io.StringIO(interchange(body=body)))
    sv1 = next(s for s in reader.segments() if s.id == "SV1")
    assert sv1.components(1) == ["HC", "98940", "25"]
    assert sv1.components(7) == ["1", "2"]
    assert reader.delimiters.component == ">" and reader.delimiters.component_declared == ":"
    assert reader.delimiters.component_overridden
    [notice] = reader.notices
    assert "ISA16 declares ':'" in notice and "segment 5, CLM" in notice


def test_the_declared_component_separator_wins_when_it_is_used():
    body = ["BHT*0019*00*1*20260310*0930*CH", "CLM*A>1*40***11:B:1*Y*A*Y*Y", "SV1*HC:99213*40*UN*1***1"]
    reader = X12Reader(io.StringIO(interchange(body=body)))
    segments = list(reader.segments())
    assert segments[4].components(5) == ["11", "B", "1"]
    assert segments[4][1] == "A>1"
    assert reader.notices == [] and not reader.delimiters.component_overridden


def test_no_override_when_the_composite_shows_no_usual_separator():
    body = ["BHT*0019*00*1*20260310*0930*CH", "CLM*A1*40***11*Y*A*Y*Y", "SV1*HC:99213*40*UN*1***1"]
    reader = X12Reader(io.StringIO(interchange(body=body)))
    sv1 = [s for s in reader.segments() if s.id == "SV1"][0]
    assert sv1.components(1) == ["HC", "99213"] and reader.notices == []


def test_iter_segments_takes_bytes_and_paths(tmp_path):
    text = interchange()
    path = tmp_path / "batch.837"
    path.write_text(text)
    assert [s.id for s in iter_segments(text.encode())] == [s.id for s in iter_segments(path)]


# ---- malformed files: segment number, ID and reason ------------------------------------------
def test_garbage():
    error = error_of("Dear billing team, please find attached our claims.")
    assert (error.segment_number, error.segment_id) == (1, "ISA")
    assert "does not start with an ISA" in str(error)


def test_empty_file():
    assert "empty" in str(error_of("  \n"))


def test_truncated_isa():
    error = error_of(ISA[:60])
    assert (error.segment_number, error.segment_id) == (1, "ISA")
    assert str(error).startswith("segment 1 (ISA): truncated ISA")


def test_unsupported_interchange_version():
    error = error_of(interchange(isa=ISA.replace("*^*00501*", "*U*00401*")))
    assert (error.segment_number, error.segment_id) == (1, "ISA")
    assert "unsupported interchange version '00401' (ISA12)" in str(error)


def test_file_cut_inside_a_segment():
    text = interchange()
    cut = text[: text.index("SE*") + 4]
    error = error_of(cut)
    assert (error.segment_number, error.segment_id) == (5, "SE")
    assert "ends inside a segment with no terminator" in str(error)


def test_missing_iea():
    error = error_of(interchange(trailer=False))
    assert (error.segment_number, error.segment_id) == (5, "SE")
    assert "without an IEA" in str(error)


def test_wrong_se_segment_count():
    error = error_of(interchange(se01=9))
    assert (error.segment_number, error.segment_id) == (5, "SE")
    assert str(error) == "segment 5 (SE): SE01 says '9' segments but the transaction set has 3"


def test_se02_differs_from_st02():
    error = error_of(interchange(se02="0002"))
    assert (error.segment_number, error.segment_id) == (5, "SE")
    assert "SE02 '0002' does not match ST02 '0001'" in str(error)


def test_ge02_differs_from_gs06():
    error = error_of(interchange(ge02="6"))
    assert (error.segment_number, error.segment_id) == (6, "GE")
    assert "GE02 '6' does not match GS06 '5'" in str(error)


def test_iea02_differs_from_isa13():
    error = error_of(interchange(iea02="000000008"))
    assert (error.segment_number, error.segment_id) == (7, "IEA")
    assert "IEA02 '000000008' does not match ISA13 '000000007'" in str(error)


def test_wrong_group_and_transaction_counts():
    assert "GE01 says '2' transaction sets but the group has 1" in str(error_of(interchange(ge01="2")))
    assert "IEA01 says '3' groups but the interchange has 1" in str(error_of(interchange(iea01="3")))


def test_segment_after_the_iea():
    error = error_of(interchange() + "ST*837*0002~\n")
    assert (error.segment_number, error.segment_id) == (8, "ST")


def test_segment_outside_a_transaction_set():
    text = interchange().replace("ST*837*0001*005010X222A1~\n", "")
    error = error_of(text)
    assert (error.segment_number, error.segment_id) == (3, "BHT")
    assert "outside a transaction set" in str(error)


def test_not_a_segment_id():
    error = error_of(interchange(body=["BHT*0019*00*1*20260310*0930*CH", "$$*1"]))
    assert error.segment_number == 5 and "is not a segment ID" in str(error)


# ---- hostile input: only X12Error -----------------------------------------------------------
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400))
def test_arbitrary_bytes_raise_only_x12_error(data):
    try:
        segments = list(iter_segments(b"ISA" + data))
    except X12Error as error:
        assert error.reason
    else:
        assert segments[0].id == "ISA" and segments[-1].id == "IEA"


def test_a_missing_terminator_is_reported_at_the_segment_it_swallows(monkeypatch):
    monkeypatch.setattr("edi.x12.MAX_SEGMENT_LENGTH", 500)
    text = interchange(body=["BHT*0019*00*1*20260310*0930*CH", "NTE*ADD*" + "X" * 2000])
    start = text.index("NTE*")
    text = text[:start] + text[start:].replace("~", "")  # from segment 5 on, no terminator at all
    error = error_of(text)
    assert error.segment_number == 5 and "no segment terminator '~' in 500 characters" in str(error)
