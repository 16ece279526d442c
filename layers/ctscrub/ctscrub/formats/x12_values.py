"""Small value parsers for X12 elements: amounts, dates, NPIs. They return None on bad input."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Final

MEDICARE_PAYER_TYPES: Final = frozenset({"MB", "MA"})  # SBR09: Medicare Part B, Part A


def decimal_or_none(value: str) -> Decimal | None:
    if not value:
        return None
    try:
        d = Decimal(value)
    except InvalidOperation:
        return None
    # No claim amount or unit count reaches 10^10: a larger value (e.g. "1e999999") is unreadable, and
    # letting it through would overflow later arithmetic or print a million-digit number in a message.
    if not d.is_finite() or (d and abs(d.adjusted()) > 9):
        return None
    return d


# Claim files repeat the same amounts and dates of service many times: parse each distinct text once.
# Decimal and date are immutable, so sharing them is safe. The caches are cleared when they grow, and
# hold short texts only (an element can be up to a megabyte long in a hostile file). Birth dates do not
# go through them (``birth_date``): nothing about a patient outlives the upload in a warm container.
_AMOUNTS: Final[dict[str, Decimal | None]] = {}
_DATES: Final[dict[str, date | None]] = {}
_CACHE_MAX: Final = 4096
_KEY_MAX: Final = 20  # characters; a real amount or D8 date is far shorter


def amount(value: str) -> Decimal | None:
    """A decimal element (charge, units), cached."""
    try:
        return _AMOUNTS[value]
    except KeyError:
        pass
    d = decimal_or_none(value.strip())
    if len(value) <= _KEY_MAX:
        if len(_AMOUNTS) >= _CACHE_MAX:
            _AMOUNTS.clear()
        _AMOUNTS[value] = d
    return d


def _parse_d8(value: str) -> date | None:
    if len(value) != 8 or not (value.isascii() and value.isdigit()):
        return None
    try:
        # Eight ASCII digits are ISO 8601 basic CCYYMMDD: one C call instead of three int() and date().
        return date.fromisoformat(value)
    except ValueError:
        return None


def d8(value: str) -> date | None:
    """CCYYMMDD -> date, None when it is not a real calendar date (cached)."""
    try:
        return _DATES[value]
    except KeyError:
        pass
    d = _parse_d8(value)
    if len(value) <= _KEY_MAX:
        if len(_DATES) >= _CACHE_MAX:
            _DATES.clear()
        _DATES[value] = d
    return d


# CCYYMMDD -> date for a birth date (DMG03): parsed every time, never cached.
birth_date: Final = _parse_d8


def date_range(qualifier: str, value: str) -> tuple[date, date | None] | None:
    """A DTP date: D8 ``CCYYMMDD`` or RD8 ``CCYYMMDD-CCYYMMDD``; None when unreadable or reversed."""
    if qualifier == "D8":
        d = d8(value.strip())
        return (d, None) if d is not None else None
    if qualifier == "RD8":
        start, sep, end = value.strip().partition("-")
        a, b = d8(start), d8(end)
        if not sep or a is None or b is None or b < a:
            return None
        return a, b
    return None


def element(elements: list[str], index: int) -> str:
    """Element ``index`` (1-based, as in 'NM109') or '' when absent."""
    return elements[index].strip() if index < len(elements) else ""


def safe_token(value: str, limit: int = 20) -> str:
    """An envelope value (version, transaction set id) cut to a short alphanumeric token for messages."""
    return "".join(ch for ch in value if ch.isalnum() or ch in "-.")[:limit] or "(empty)"
