"""X12 837P (005010X222*) reader: streams claims from an interchange file. See docs/X12.md.

The splitter (``x12_segments``) yields raw segments chunk by chunk; envelope segments go to
``x12_envelope``; everything inside a transaction goes to the claim builder (``x12_claim``), which hands
back each claim as soon as the next CLM, HL or SE closes it. A segment whose text the builder has read
before (``ClaimBuilder.known``) is applied from there without being split again.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from ctscrub.formats.stream import PeekedStream
from ctscrub.formats.x12_claim import SEGMENT_KINDS, ClaimBuilder, Known
from ctscrub.formats.x12_envelope import Envelope
from ctscrub.formats.x12_segments import Delimiters, SegmentSplitter
from ctscrub.model import Claim, Finding
from ctscrub.rules.registry import finding


class Reader:
    format_name = "x12-837p"

    def __init__(self, stream: PeekedStream) -> None:
        self._stream = stream
        self.file_findings: list[Finding] = []

    def claims(self) -> Iterator[Claim]:
        findings = self.file_findings
        splitter = SegmentSplitter(self._stream.binary)
        envelope = Envelope(findings)
        builder = ClaimBuilder(findings)
        kinds = SEGMENT_KINDS
        # Outside ST..SE no segment goes to the claim builder, and none is looked up in its memo.
        inside = False
        memo = _NOTHING_KNOWN
        delims: Delimiters | None = None
        elem = ""
        for batch_delims, batch in splitter.batches():
            if batch_delims is not delims:
                delims, elem = batch_delims, batch_delims.element
                builder.set_delimiters(delims)
            # Few segments need their number: it is worked out from how many of the batch are left.
            segments = iter(batch)
            left = segments.__length_hint__  # type: ignore[attr-defined]  # a list iterator's (typeshed: Iterator)
            builder.read_from(left, splitter.number)
            for text in segments:
                # A segment read before (most of a claim's): apply what it said, without splitting it again.
                known = memo.get(text)
                if known is not None:
                    known.apply(builder)  # never a claim closed: no HL or CLM is kept
                    continue
                els = text.split(elem)
                sid = els[0]
                kind = kinds.get(sid)
                if kind is not None and inside:
                    done = builder.read(kind, els, text)
                    if done is not None:
                        yield done
                elif sid in _ENVELOPE_IDS:
                    seg = splitter.number - left()
                    done = builder.close()
                    if done is not None:
                        yield done
                    _envelope_segment(envelope, builder, sid, els, seg)
                    inside = envelope.in_transaction
                    memo = builder.known if inside else _NOTHING_KNOWN
                elif not inside:
                    envelope.outside(sid, splitter.number - left())
                # else: a segment that carries nothing the scrubber reads
        done = builder.close(cut_off=True)
        if done is not None:
            yield done
        envelope.end_of_file(splitter.number)
        if splitter.variable_width_isa:
            where = ", ".join(f"segment {n}" for n in splitter.variable_width_isa[:5])
            findings.append(finding(
                "X12_ENVELOPE", None, None,
                f"The ISA header at {where} is not fixed width (106 characters); it was read by its separators.",
                "Pad the ISA fields to their fixed widths (ISA06/ISA08 are 15 characters, ISA13 is 9 digits).",
            ))
        if splitter.trailing_garbage_at is not None:
            findings.append(finding(
                "X12_ENVELOPE", None, None,
                f"Content after the last IEA (from byte {splitter.trailing_garbage_at}) is not an ISA "
                "interchange and was ignored.",
                "Remove the trailing content, or send each interchange complete with its ISA header.",
            ))


def _envelope_segment(envelope: Envelope, builder: ClaimBuilder, sid: str, els: list[str], seg: int) -> None:
    if sid == "ISA":
        envelope.isa(els, seg)
    elif sid == "GS":
        envelope.gs(els, seg)
    elif sid == "ST":
        envelope.st(els, seg)
        builder.reset()
    elif sid == "SE":
        envelope.se(els, seg)
    elif sid == "GE":
        envelope.ge(els, seg)
    else:
        envelope.iea(els, seg)


_ENVELOPE_IDS: Final = frozenset({"ISA", "GS", "ST", "SE", "GE", "IEA"})
_NOTHING_KNOWN: Final[dict[str, Known]] = {}  # the memo outside a transaction: always empty (nothing writes it)
