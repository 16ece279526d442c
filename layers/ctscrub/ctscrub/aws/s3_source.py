"""Read an uploaded object as a stream, enforcing the configured size limit before downloading."""

from __future__ import annotations

from typing import Any

from ctscrub.formats.errors import FileRejected


class S3ObjectSource:
    """A ``Readable`` over one S3 object version; the body is fetched lazily on the first read.

    Fetching inside ``read`` (not in ``__init__``) means a size rejection is raised where the pipeline
    turns ``FileRejected`` into a rejected upload.
    """

    def __init__(self, s3: Any, bucket: str, key: str, version_id: str | None, max_bytes: int | None) -> None:
        self._s3 = s3
        self._bucket = bucket
        self._key = key
        self._version_id = version_id
        self._max = max_bytes
        self._body: Any = None
        self.content_length: int | None = None
        self.etag: str | None = None
        self.bytes_read = 0

    def _open(self) -> Any:
        params: dict[str, str] = {"Bucket": self._bucket, "Key": self._key}
        if self._version_id:
            params["VersionId"] = self._version_id
        resp = self._s3.get_object(**params)
        self.content_length = int(resp.get("ContentLength", 0))
        self.etag = str(resp.get("ETag", "")).strip('"') or None
        if self._max is not None and self.content_length > self._max:
            resp["Body"].close()
            raise FileRejected(
                "FILE_MALFORMED",
                f"the file is {self.content_length:,} bytes, larger than the configured limit of {self._max:,}",
                "byte 0",
                "Split the file into smaller uploads, or raise MAX_UPLOAD_BYTES.",
            )
        return resp["Body"]

    def read(self, size: int = -1, /) -> bytes:
        if self._body is None:
            self._body = self._open()
        data: bytes = self._body.read(None if size is None or size < 0 else size)
        self.bytes_read += len(data)
        return data

    def close(self) -> None:
        if self._body is not None:
            self._body.close()
