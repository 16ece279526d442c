"""The one exception a reader raises when a whole upload cannot be read."""

from __future__ import annotations


class FileRejected(Exception):
    """The upload cannot be read at all. ``reason`` says why and ``where`` says where, for a person.

    Never put file content in the reason: it may carry patient data. Name positions and kinds instead.
    """

    def __init__(self, rule: str, reason: str, where: str | None = None, suggestion: str | None = None) -> None:
        if rule not in ("FILE_UNSUPPORTED_FORMAT", "FILE_MALFORMED"):
            raise ValueError(rule)
        self.rule = rule
        self.reason = reason
        self.where = where
        self.suggestion = suggestion or (
            "Upload an X12 837P (005010X222A1), CSV v1 or JSON v1 claim file; see docs/FORMATS.md."
        )
        super().__init__(f"{rule}: {reason}" + (f" ({where})" if where else ""))
