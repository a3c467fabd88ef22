"""Reading X12 interchanges segment by segment (the envelope layer under 837P and 835).

An interchange is nested envelopes; this module checks them while it streams::

    ISA  interchange header (fixed width: it declares the separators)
      GS   functional group header
        ST   transaction set header        } the 837P / 835 content between ST and SE
        ...                                } is read by edi.claims837 (and, later, an 835 reader)
        SE   transaction set trailer: SE01 segment count (ST..SE), SE02 = ST02
      GE   group trailer: GE01 transaction set count, GE02 = GS06
    IEA  interchange trailer: IEA01 group count, IEA02 = ISA13

Separators come from the ISA: the element separator is the character after "ISA", the
repetition separator is ISA11 (version 00501), the component separator is ISA16 and the
segment terminator is the character right after ISA16 (found by counting element separators,
so an ISA whose fixed-width elements lost their padding still reads). Line breaks after a
terminator are ignored, so files with "one segment per line" read the same as files without.

A declared component separator that the file does not use
---------------------------------------------------------
Some practice-management systems declare ':' in ISA16 and still write '>' inside their
composites (``SV1*HC>98940``; five of the shared 837P samples do this). Splitting such a file on
':' would read the procedure "HC>98940" with no code, silently. The reader therefore looks at the
first composite a claim always carries (CLM05 place of service, SV1/SV2/SV5 01 procedure, HI
diagnoses) and, when the declared separator does not occur in it but exactly one other usual
component separator (``:``, ``>``, ``^``, ``|``, ``\\``; never one of the file's other separators)
does, uses that one for the rest of the interchange. The decision is made once per interchange,
is visible on ``Delimiters.component`` (the declared one stays on ``Delimiters.component_declared``)
and is listed in ``X12Reader.notices`` for the importer to show. A file that uses the declared
separator is never touched.

Memory: the file is read in chunks and segments are yielded one at a time, so a file of any
size is read in constant memory. The envelope is checked as segments go by, so an error near
the end (a wrong IEA02, a missing IEA) is raised after earlier segments were yielded: a consumer
must treat the file as a whole (import in one database transaction, or collect first).

Every problem raises ``X12Error`` with the segment number (1-based, the ISA being 1), the
segment ID and what is wrong.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

SUPPORTED_INTERCHANGE_VERSIONS = ("00501",)
ISA_ELEMENT_COUNT = 16
ISA_FIXED_LENGTH = 106  # "ISA" + 16 separators + fixed-width elements + terminator
USUAL_COMPONENT_SEPARATORS = (":", ">", "^", "|", "\\")
# Where a composite always appears in professional claims: (segment ID, element position).
COMPOSITE_PROBES = {"CLM": 5, "SV1": 1, "SV2": 2, "SV5": 1, "HI": 1}
MAX_SEGMENT_LENGTH = 100_000  # longer means a missing terminator or not X12 at all
CHUNK_SIZE = 64 * 1024
SEGMENT_ID = re.compile(r"[A-Z][A-Z0-9]{1,2}\Z")


class X12Error(ValueError):
    """A file that is not a well-formed X12 interchange: says where (segment number and ID) and what."""

    def __init__(self, reason: str, *, segment_number: int | None = None, segment_id: str = ""):
        self.reason = reason
        self.segment_number = segment_number
        self.segment_id = segment_id
        super().__init__(self._message())

    def _message(self) -> str:
        if self.segment_number is None:
            return self.reason
        where = f"segment {self.segment_number}"
        if self.segment_id:
            where += f" ({self.segment_id})"
        return f"{where}: {self.reason}"


@dataclass
class Delimiters:
    """The separators an interchange uses (from its ISA)."""

    element: str
    component: str
    segment: str
    repetition: str | None = None
    component_declared: str = ""

    def __post_init__(self):
        if not self.component_declared:
            self.component_declared = self.component

    @property
    def component_overridden(self) -> bool:
        return self.component != self.component_declared


@dataclass(frozen=True)
class Segment:
    """One segment: its elements as text (element 0 is the segment ID, so ``segment[1]`` is XXX01)."""

    number: int
    elements: tuple[str, ...]
    component_separator: str = ":"
    repetition_separator: str | None = None

    @property
    def id(self) -> str:
        return self.elements[0]

    def __getitem__(self, position: int) -> str:
        """Element at a 1-based position, '' when absent (X12 drops trailing empty elements)."""
        return self.elements[position] if position < len(self.elements) else ""

    def components(self, position: int) -> list[str]:
        """The components of a composite element, [] when the element is empty."""
        value = self[position]
        return value.split(self.component_separator) if value else []

    def component(self, position: int, index: int) -> str:
        """Component ``index`` (1-based) of the composite at ``position``, '' when absent."""
        parts = self.components(position)
        return parts[index - 1] if index <= len(parts) else ""

    def error(self, reason: str) -> X12Error:
        return X12Error(reason, segment_number=self.number, segment_id=self.id)


def parse_delimiters(isa_text: str) -> Delimiters:
    """Separators from the beginning of a file; ``isa_text`` must start with "ISA"."""
    if not isa_text.startswith("ISA") or len(isa_text) < 4:
        raise X12Error("the file does not start with an ISA segment", segment_number=1, segment_id="ISA")
    element = isa_text[3]
    if element.isalnum() or element.isspace():
        raise X12Error(f"{element!r} after ISA is not an element separator", segment_number=1, segment_id="ISA")
    position = 3
    for _ in range(ISA_ELEMENT_COUNT - 1):
        position = isa_text.find(element, position + 1)
        if position < 0:
            raise X12Error("truncated ISA: fewer than 16 elements", segment_number=1, segment_id="ISA")
    if len(isa_text) < position + 3:
        raise X12Error("truncated ISA: no component separator (ISA16) or segment terminator",
                       segment_number=1, segment_id="ISA")
    component, terminator = isa_text[position + 1], isa_text[position + 2]
    if len({element, component, terminator}) < 3 or component.isalnum() or terminator.isalnum():
        raise X12Error(
            f"ISA separators are not distinct non-alphanumeric characters (element {element!r}, "
            f"component {component!r}, terminator {terminator!r})",
            segment_number=1,
            segment_id="ISA",
        )
    isa_elements = isa_text[: position + 2].split(element)
    repetition = isa_elements[11] if isa_elements[12] >= "00501" else None
    if repetition is not None and (len(repetition) != 1 or repetition.isalnum()
                                   or repetition in (element, component, terminator)):
        raise X12Error(f"ISA11 {repetition!r} is not a repetition separator", segment_number=1, segment_id="ISA")
    return Delimiters(element=element, component=component, segment=terminator, repetition=repetition)


@dataclass
class _Envelope:
    """Open envelopes while streaming: what each trailer must match."""

    interchange_control_number: str = ""
    group_control_number: str = ""
    transaction_control_number: str = ""
    groups: int = 0
    transactions_in_group: int = 0
    segments_in_transaction: int = 0
    in_group: bool = False
    in_transaction: bool = False
    closed: bool = False


class X12Reader:
    """Streams the segments of one interchange, checking separators and envelopes as it goes.

    ``X12Reader(stream).segments()`` yields ``Segment`` objects; ``X12Reader.open(path)`` reads a file.
    """

    def __init__(self, stream: TextIO, *, chunk_size: int = CHUNK_SIZE):
        self.stream = stream
        self.chunk_size = chunk_size
        self.delimiters: Delimiters | None = None
        self.notices: list[str] = []
        self._component_decided = False

    @classmethod
    def from_text(cls, text: str) -> X12Reader:
        return cls(io.StringIO(text))

    @classmethod
    def from_bytes(cls, data: bytes) -> X12Reader:
        # latin-1 maps every byte: a binary or mis-encoded file fails on its structure, not on decoding
        return cls(io.StringIO(data.decode("latin-1")))

    @classmethod
    def open(cls, path: str | Path) -> X12Reader:
        return cls(open(path, encoding="latin-1", newline=""))  # noqa: SIM115 (closed by segments())

    # ---- raw segment texts -------------------------------------------------------------
    def _read_header(self) -> str:
        """Read enough of the stream for the ISA; returns the text read so far."""
        text = ""
        while len(text.lstrip()) < ISA_FIXED_LENGTH + 1:
            chunk = self.stream.read(self.chunk_size)
            if not chunk:
                break
            text += chunk
        text = text.lstrip().removeprefix("\ufeff").removeprefix("\xef\xbb\xbf")  # a UTF-8 byte order mark
        if not text:
            raise X12Error("the file is empty", segment_number=1, segment_id="ISA")
        self.delimiters = parse_delimiters(text)
        return text

    def _segment_texts(self) -> Iterator[tuple[str, bool]]:
        """(text, terminated) for each segment; only the text after the last terminator is unterminated."""
        buffer = self._read_header()
        terminator = self.delimiters.segment
        while True:
            *complete, buffer = buffer.split(terminator)
            for text in complete:
                yield text, True
            if len(buffer) > MAX_SEGMENT_LENGTH:
                raise X12Error(f"no segment terminator {terminator!r} in {MAX_SEGMENT_LENGTH} characters")
            chunk = self.stream.read(self.chunk_size)
            if not chunk:
                break
            buffer += chunk
        if buffer.strip():
            yield buffer, False

    # ---- segments ----------------------------------------------------------------------
    def segments(self) -> Iterator[Segment]:
        envelope = _Envelope()
        number = 0
        last = None
        try:
            for text, terminated in self._segment_texts():
                if not terminated:
                    unterminated = text.strip()
                    raise X12Error(
                        f"the file ends inside a segment with no terminator: {unterminated[:20]!r}",
                        segment_number=number + 1,
                        segment_id=unterminated.split(self.delimiters.element)[0][:3],
                    )
                text = text.strip("\r\n")
                if not text.strip():
                    if number == 0 or not envelope.closed:
                        raise X12Error("empty segment", segment_number=number + 1)
                    continue
                number += 1
                segment = self._segment(number, text)
                self._check_envelope(segment, envelope)
                last = segment
                yield segment
            if number == 0:
                raise X12Error("the file has no segments", segment_number=1, segment_id="ISA")
            if not envelope.closed:
                raise X12Error("the file ends without an IEA (interchange trailer)",
                               segment_number=last.number if last else number, segment_id=last.id if last else "")
        except X12Error as error:
            if error.segment_number is None:  # raised while cutting segments: it is about the next one
                raise X12Error(error.reason, segment_number=number + 1) from None
            raise
        finally:
            self.stream.close()

    def _segment(self, number: int, text: str) -> Segment:
        elements = tuple(text.split(self.delimiters.element))
        segment_id = elements[0]
        if not SEGMENT_ID.match(segment_id):
            raise X12Error(f"{segment_id[:10]!r} is not a segment ID", segment_number=number,
                           segment_id=segment_id[:3])
        if number == 1 and segment_id != "ISA":
            raise X12Error("the file does not start with an ISA segment", segment_number=1, segment_id=segment_id)
        if not self._component_decided and segment_id in COMPOSITE_PROBES:
            self._decide_component_separator(number, segment_id, elements)
        return Segment(number, elements, self.delimiters.component, self.delimiters.repetition)

    def _decide_component_separator(self, number: int, segment_id: str, elements: tuple[str, ...]) -> None:
        position = COMPOSITE_PROBES[segment_id]
        probe = elements[position] if position < len(elements) else ""
        declared = self.delimiters.component
        if not probe or declared in probe:
            self._component_decided = bool(probe)
            return
        taken = {self.delimiters.element, self.delimiters.segment, self.delimiters.repetition, declared}
        used = [sep for sep in USUAL_COMPONENT_SEPARATORS if sep not in taken and sep in probe]
        if len(used) == 1:
            self.delimiters.component = used[0]
            self._component_decided = True
            self.notices.append(
                f"ISA16 declares {declared!r} as the component separator but the composites use {used[0]!r} "
                f"(first at segment {number}, {segment_id}); {used[0]!r} was used to read this interchange."
            )

    # ---- envelopes ---------------------------------------------------------------------
    def _check_envelope(self, segment: Segment, envelope: _Envelope) -> None:
        segment_id = segment.id
        if envelope.closed:
            raise segment.error("segment after the IEA (interchange trailer)")
        if envelope.in_transaction:
            envelope.segments_in_transaction += 1
        handler = getattr(self, f"_on_{segment_id.lower()}", None)
        if handler is not None:
            handler(segment, envelope)
        elif not envelope.in_transaction:
            raise segment.error("segment outside a transaction set (ST...SE)")

    def _on_isa(self, segment: Segment, envelope: _Envelope) -> None:
        if segment.number != 1:
            raise segment.error("a second ISA: one interchange per file")
        if len(segment.elements) != ISA_ELEMENT_COUNT + 1:
            raise segment.error(f"ISA has {len(segment.elements) - 1} elements, expected 16")
        version = segment[12]
        if version not in SUPPORTED_INTERCHANGE_VERSIONS:
            raise segment.error(f"unsupported interchange version {version!r} (ISA12); this reader takes 00501")
        if not segment[13].isdigit() or len(segment[13]) != 9:
            raise segment.error(f"ISA13 control number {segment[13]!r} is not 9 digits")
        envelope.interchange_control_number = segment[13]

    def _on_gs(self, segment: Segment, envelope: _Envelope) -> None:
        if envelope.in_group:
            raise segment.error(f"GS before the GE of group {envelope.group_control_number}")
        if not segment[6]:
            raise segment.error("GS06 group control number missing")
        envelope.in_group, envelope.group_control_number, envelope.transactions_in_group = True, segment[6], 0
        envelope.groups += 1

    def _on_st(self, segment: Segment, envelope: _Envelope) -> None:
        if not envelope.in_group:
            raise segment.error("ST outside a functional group (GS...GE)")
        if envelope.in_transaction:
            raise segment.error(f"ST before the SE of transaction set {envelope.transaction_control_number}")
        if not segment[2]:
            raise segment.error("ST02 transaction set control number missing")
        envelope.in_transaction, envelope.transaction_control_number = True, segment[2]
        envelope.segments_in_transaction = 1
        envelope.transactions_in_group += 1

    def _on_se(self, segment: Segment, envelope: _Envelope) -> None:
        if not envelope.in_transaction:
            raise segment.error("SE without an ST")
        if segment[2] != envelope.transaction_control_number:
            raise segment.error(
                f"SE02 {segment[2]!r} does not match ST02 {envelope.transaction_control_number!r}"
            )
        if segment[1] != str(envelope.segments_in_transaction):
            raise segment.error(
                f"SE01 says {segment[1]!r} segments but the transaction set has {envelope.segments_in_transaction}"
            )
        envelope.in_transaction = False

    def _on_ge(self, segment: Segment, envelope: _Envelope) -> None:
        if envelope.in_transaction:
            raise segment.error(f"GE before the SE of transaction set {envelope.transaction_control_number}")
        if not envelope.in_group:
            raise segment.error("GE without a GS")
        if segment[2] != envelope.group_control_number:
            raise segment.error(f"GE02 {segment[2]!r} does not match GS06 {envelope.group_control_number!r}")
        if segment[1] != str(envelope.transactions_in_group):
            raise segment.error(
                f"GE01 says {segment[1]!r} transaction sets but the group has {envelope.transactions_in_group}"
            )
        envelope.in_group = False

    def _on_iea(self, segment: Segment, envelope: _Envelope) -> None:
        if envelope.in_group or envelope.in_transaction:
            raise segment.error("IEA before the GE/SE that close the open group")
        if segment[2] != envelope.interchange_control_number:
            raise segment.error(
                f"IEA02 {segment[2]!r} does not match ISA13 {envelope.interchange_control_number!r}"
            )
        if segment[1] != str(envelope.groups):
            raise segment.error(f"IEA01 says {segment[1]!r} groups but the interchange has {envelope.groups}")
        envelope.closed = True


def iter_segments(source: str | Path | bytes | TextIO) -> Iterator[Segment]:
    """Segments of an interchange given as a path, bytes or an open text stream."""
    yield from reader_for(source).segments()


def reader_for(source: str | Path | bytes | TextIO) -> X12Reader:
    if isinstance(source, bytes):
        return X12Reader.from_bytes(source)
    if isinstance(source, (str, Path)):
        return X12Reader.open(source)
    return X12Reader(source)


@dataclass
class SegmentWriter:
    """Writes segments with given separators, dropping trailing empty elements and components.

    X12 has no escape character: a value holding one of the separators would change the file's
    structure, so it raises ValueError (the caller cleans names and notes before writing).
    """

    out: TextIO
    element: str = "*"
    component: str = ":"
    segment: str = "~"
    repetition: str = "^"
    line_break: str = "\n"
    count: int = field(default=0)

    def __post_init__(self):
        separators = (self.element, self.component, self.segment, self.repetition)
        self._separator = re.compile("[" + re.escape("".join(separators)) + "]")

    def write(self, segment_id: str, *elements: str | list[str] | tuple[str, ...] | None) -> None:
        texts = [self._element_text(segment_id, position, element) for position, element in enumerate(elements, 1)]
        self._write(segment_id, texts)

    def write_isa(self, *elements: str) -> None:
        """The ISA carries the separators themselves (ISA11, ISA16), so it is not checked for them."""
        self._write("ISA", list(elements))

    def _write(self, segment_id: str, texts: list[str]) -> None:
        while texts and not texts[-1]:
            texts.pop()
        self.out.write(self.element.join([segment_id, *texts]) + self.segment + self.line_break)
        self.count += 1

    def _element_text(self, segment_id: str, position: int, element) -> str:
        if element is None:
            return ""
        if isinstance(element, str):
            if self._separator.search(element):
                raise ValueError(f"{segment_id}{position:02d} {element!r} contains an X12 separator")
            return element
        parts = ["" if part is None else str(part) for part in element]
        for part in parts:
            if self._separator.search(part):
                raise ValueError(f"{segment_id}{position:02d} {part!r} contains an X12 separator")
        while parts and not parts[-1]:
            parts.pop()
        return self.component.join(parts)
