"""Byte-stream helpers shared by the readers: peek at the head, enforce a size limit, stay streaming."""

from __future__ import annotations

import io
from typing import BinaryIO, Protocol

from ctscrub.formats.errors import FileRejected

HEAD_BYTES = 4096


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


class _HeadThenRest(io.RawIOBase):
    """Serves already-peeked head bytes, then the rest of the source, counting bytes against a limit."""

    def __init__(self, head: bytes, source: Readable, max_bytes: int | None) -> None:
        self._head = memoryview(head)
        self._source = source
        self._max = max_bytes
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buf: memoryview) -> int:  # type: ignore[override]
        n = len(buf)
        if self._head.nbytes:
            k = min(n, self._head.nbytes)
            buf[:k] = self._head[:k]
            self._head = self._head[k:]
        else:
            chunk = self._source.read(n)
            k = len(chunk)
            buf[:k] = chunk
        self.bytes_read += k
        if self._max is not None and self.bytes_read > self._max:
            raise FileRejected(
                "FILE_MALFORMED",
                f"the file is larger than the configured limit of {self._max:,} bytes",
                f"byte {self._max:,}",
                "Split the file into smaller uploads, or raise MAX_UPLOAD_BYTES.",
            )
        return k


class PeekedStream:
    """A binary source with its first bytes available for format detection, readable from the start."""

    def __init__(self, source: Readable, max_bytes: int | None = None) -> None:
        head = b""
        while len(head) < HEAD_BYTES:
            chunk = source.read(HEAD_BYTES - len(head))
            if not chunk:
                break
            head += chunk
        self.head = head
        self._raw = _HeadThenRest(head, source, max_bytes)
        self.binary: BinaryIO = io.BufferedReader(self._raw, buffer_size=1 << 16)  # type: ignore[arg-type]

    @property
    def bytes_read(self) -> int:
        return self._raw.bytes_read
