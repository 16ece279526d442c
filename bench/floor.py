"""The floor the X12 benchmarks compare with: the least any Python X12 reader must do.

Read the file in 64 KB chunks, decode UTF-8, split it into segments on ``~`` and each segment into its
elements on ``*`` (the generated bench files use these separators), and build nothing else.
"""

from __future__ import annotations

import codecs


def read_and_split(path: str) -> int:
    """Split the file at ``path`` as described above; return the number of segments."""
    dec = codecs.getincrementaldecoder("utf-8")("replace")
    segments = 0
    rest = ""
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 16):
            text = rest + dec.decode(chunk)
            cut = text.rfind("~")
            parts = text[:cut].split("~")
            rest = text[cut + 1:]
            segments += len([p.strip().split("*") for p in parts])
    return segments
