"""X12 delimiters from the ISA header and a streaming segment splitter.

The splitter reads the byte stream in 64 KB chunks, decodes UTF-8 incrementally (a character split
across two chunks is kept whole), splits each chunk on the segment terminator of the current
interchange and yields the segments chunk by chunk, so memory stays flat in file size. Each
interchange (ISA..IEA) declares its own delimiters; after an IEA the splitter reads the next ISA afresh.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO, Final

from ctscrub.formats.errors import FileRejected

CHUNK = 1 << 16
ISA_LEN: Final = 106  # "ISA" + 16 elements + terminator, fixed width
# Offsets of the element separator inside a fixed-width ISA (after ISA and each of ISA01..ISA15).
_ISA_SEP_OFFSETS: Final = (3, 6, 17, 20, 31, 34, 50, 53, 69, 76, 81, 83, 89, 99, 101, 103)
_WS: Final = " \t\r\n\f\v\ufeff"
_SUGGESTION: Final = "Send the whole interchange as produced by the billing system, starting with a 106-character ISA."


@dataclass(frozen=True, slots=True)
class Delimiters:
    element: str
    component: str
    segment: str
    repetition: str | None  # None when ISA11 is 'U' or alphanumeric (no repetition separator)


def _bad(reason: str, byte: int) -> FileRejected:
    return FileRejected("FILE_MALFORMED", reason, f"byte {byte}", _SUGGESTION)


def _printable(ch: str) -> str:
    return {"\n": "newline", "\r": "carriage return", "\t": "tab", " ": "space"}.get(ch, repr(ch))


def parse_isa(text: str, byte: int) -> tuple[Delimiters, bool]:
    """Read the delimiters of the ISA at the start of ``text``; ``byte`` is its offset, for messages.

    Returns the delimiters and whether the ISA is fixed width. A variable-width ISA (unpadded fields)
    is still read when its 16 elements can be found; the caller reports that as an envelope warning.
    """
    if not text.startswith("ISA"):
        raise _bad("the interchange does not start with an ISA segment", byte)
    if len(text) < 4:
        raise _bad("the ISA header is cut short", byte)
    elem = text[3]
    if elem.isalnum() or elem in _WS:
        raise _bad(f"the ISA element separator {_printable(elem)} is a letter, digit or space", byte)
    fixed = len(text) >= ISA_LEN and all(text[i] == elem for i in _ISA_SEP_OFFSETS)
    if fixed:
        rep, comp, term = text[82], text[104], text[105]
    else:
        # Variable width: ISA16 follows the 16th element separator; the terminator follows ISA16.
        pos = 0
        for _ in range(16):
            pos = text.find(elem, pos + 1)
            if pos < 0 or pos > 400:
                raise _bad(f"the ISA header is shorter than {ISA_LEN} characters or its separators are not "
                           "at the fixed positions", byte)
        if len(text) < pos + 3:
            raise _bad(f"the ISA header is shorter than {ISA_LEN} characters", byte)
        comp, term = text[pos + 1], text[pos + 2]
        rep_end = pos
        for _ in range(5):  # ISA11 is five elements before ISA16
            rep_end = text.rfind(elem, 0, rep_end)
        rep_field = text[rep_end + 1:text.find(elem, rep_end + 1)]
        rep = rep_field[:1] if len(rep_field) == 1 else "U"
    if comp == elem or comp.isalnum() or comp in _WS:
        raise _bad(f"the ISA16 component separator {_printable(comp)} is not a usable separator", byte)
    if term in (elem, comp) or term.isalnum() or term == " ":
        raise _bad(f"the ISA segment terminator {_printable(term)} is not a usable terminator", byte)
    repetition = None if (rep.isalnum() or rep in (elem, comp, term) or rep in _WS) else rep
    return Delimiters(elem, comp, term, repetition), fixed


MAX_SEGMENT_CHARS: Final = 1 << 20
"""The longest run without a segment terminator accepted (1 MiB): real segments are under 1 KB."""


class SegmentSplitter:
    """Iterate the segments of an X12 byte stream as text (elements not split), chunk by chunk.

    While iterating, ``number`` is the 1-based position in the file of the last segment yielded.
    ``trailing_garbage_at`` is set to the byte offset of content after an IEA that is not another ISA
    (ignored; the reader reports it).
    """

    def __init__(self, binary: BinaryIO) -> None:
        self._binary = binary
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._eof = False
        self._consumed = 0  # characters before the current buffer (byte offsets for ASCII content)
        self.variable_width_isa: list[int] = []  # segment numbers of ISAs that are not fixed width
        self.trailing_garbage_at: int | None = None
        self.number = 0

    def _more(self) -> str:
        """The next decoded text; '' only at the end of the file."""
        while not self._eof:
            raw = self._binary.read(CHUNK)
            if not raw:
                self._eof = True
                return self._decoder.decode(b"", final=True)
            text = self._decoder.decode(raw)
            if text:  # empty when the chunk ended inside a multi-byte character
                return text
        return ""

    def batches(self) -> Iterator[tuple[Delimiters, list[str]]]:
        """Yield the segments chunk by chunk with the delimiters of their interchange.

        A segment is its text between two terminators, stripped of line breaks and indentation (the
        reader splits the elements, and keys its memos on this text). A batch never spans two
        interchanges. ``number`` counts the segments yielded so far, so the reader can number them.
        """
        buf = ""
        first = True
        while True:
            # Start of an interchange: skip whitespace (and a BOM), then read the ISA's delimiters.
            while True:
                stripped = buf.lstrip(_WS)
                self._consumed += len(buf) - len(stripped)
                buf = stripped
                if len(buf) >= ISA_LEN + 300 or self._eof:
                    break
                buf += self._more()
            if not buf:
                if first:
                    raise _bad("the file is empty", 0)
                return
            if not first and not buf.startswith("ISA"):
                self.trailing_garbage_at = self._consumed
                return
            delims, fixed = parse_isa(buf, self._consumed)
            first = False
            if not fixed:
                self.variable_width_isa.append(self.number + 1)
            term, iea = delims.segment, "IEA" + delims.element
            while True:
                cut = buf.rfind(term)
                if cut < 0:
                    if len(buf) > MAX_SEGMENT_CHARS:  # no real segment is this long: never buffer without bound
                        raise _bad(f"segment {self.number + 1} is too long: no segment terminator "
                                   f"({_printable(term)}) within {MAX_SEGMENT_CHARS:,} bytes", self._consumed)
                    more = self._more()
                    if more:
                        buf += more
                        continue
                    # End of file: whatever is left is a last segment without a terminator.
                    tail = buf.strip(_WS)
                    self._consumed += len(buf)
                    if tail:
                        self.number += 1
                        yield delims, [tail]
                    return
                text, rest = buf[:cut], buf[cut + 1:]
                # One scan for 'IEA' first: most chunks have none, and the exact tests cost two more scans.
                if "IEA" in text and (iea in text or text.endswith("IEA") or ("IEA" + term) in text):
                    batch, back = self._split_to_iea(text, term, iea)
                    if back is not None:
                        self._consumed += cut + 1 - len(back)
                        self.number += len(batch)
                        yield delims, batch
                        buf = back + rest
                        break  # the next interchange reads its own ISA
                else:
                    batch = _split(text, term)
                self._consumed += cut + 1
                self.number += len(batch)
                yield delims, batch
                buf = rest + self._more()
                if not buf and self._eof:
                    return

    @staticmethod
    def _split_to_iea(text: str, term: str, iea: str) -> tuple[list[str], str | None]:
        """Segments up to and including the IEA, and the unread text after it (with terminators).

        ``iea`` is "IEA" and the element separator. The text after is None when no segment is an IEA
        ("IEA*" was only inside an element).
        """
        parts = text.split(term)
        batch: list[str] = []
        for i, part in enumerate(parts):
            seg = part.strip(_WS)
            if not seg:
                continue
            batch.append(seg)
            if seg.startswith(iea) or seg == "IEA":
                return batch, "".join(p + term for p in parts[i + 1:])
        return batch, None


def _split(text: str, term: str) -> list[str]:
    """Split terminated text into segments, dropping line breaks and indentation between segments."""
    if term != "\n" and term != "\r":
        # Line breaks are never data in X12. Each test is a fast one-character scan; a replace that
        # finds nothing still costs a full pass.
        if "\r" in text:
            text = text.replace("\r", "")
        boundary = term  # what stands between two segments in ``text``
        lines = _split_lines(text, term) if "\n" in text else None
        if lines is not None:
            segments, boundary = lines, term + "\n"
        else:
            if "\n" in text:  # line breaks elsewhere than after the terminators: drop them all
                text = text.replace("\n", "")
            segments = text.split(term)
        # Whether a segment starts with a space or a tab (one-character scans where possible): then
        # every segment is stripped.
        if not (segments[0][:1] in (" ", "\t") or (boundary + " ") in text
                or ("\t" in text and (boundary + "\t") in text)):
            # Empty segments ('~~') are rare: test for one in C before filtering in Python (all() only
            # tests each segment's length; '"" in segments' would compare each one with '').
            return segments if all(segments) else [p for p in segments if p]
        return [p for p in (s.strip(_WS) for s in segments) if p]
    return [p for p in (s.strip(_WS) for s in text.split(term)) if p]


def _split_lines(text: str, term: str) -> list[str] | None:
    """Split ``text`` (no carriage return) where a terminator is followed by a line break, the usual layout.

    The segments, when they are exactly what dropping every line break and splitting on the terminator
    gives (``text`` then holds terminator and line break, and only that, between two segments); otherwise
    None. Replacing the line breaks would copy the whole text; this check is one join and two scans.
    """
    segments = text.split(term + "\n")
    first = segments[0]
    if "\n" in first:  # the line break after the previous chunk's last terminator
        segments[0] = first.replace("\n", "")
    inside = "".join(segments)
    return None if "\n" in inside or term in inside else segments
