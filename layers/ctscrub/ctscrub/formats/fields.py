"""Parsers for single input values (dates, money, units, codes), shared by every reader.

Each parser takes the raw text of one field and returns the normalised value, or raises ``FieldError``
whose ``expected`` says, for a person, what the field should hold. The error never carries the value:
the reader decides whether the column is safe to echo. Parsers are pure and cheap (a few hundred
nanoseconds on the common path) because they run once per field of every input line.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Final

from ctscrub.model import Payer

MAX_CHARGE: Final = Decimal(1_000_000)
MAX_UNITS: Final = 999
MAX_MODIFIERS: Final = 4
ONE: Final = Decimal(1)

_DIGITS: Final = frozenset("0123456789")
_CONTRAST: Final = frozenset({"none", "iv", "oral"})
_YES: Final = frozenset({"yes", "y", "true", "1"})
_NO: Final = frozenset({"no", "n", "false", "0"})
_PAYERS: Final = {"medicare": Payer.MEDICARE, "commercial": Payer.COMMERCIAL}

# No memo tables here: the readers memoize per file, so nothing parsed (birth dates included) outlives
# the upload that carried it in a warm Lambda container.


class FieldError(ValueError):
    """A field value that cannot be read; ``expected`` describes what the field should contain."""

    def __init__(self, expected: str) -> None:
        super().__init__(expected)
        self.expected = expected


def parse_date(text: str) -> date | None:
    """``YYYY-MM-DD`` -> date; empty -> None. Other ISO forms (``20260302``, week dates) are refused."""
    s = text.strip()
    if not s:
        return None
    if len(s) == 10 and s[4] == "-" and s[7] == "-":
        # One C call for the common case (int() of three slices cost four times as much): with the dashes
        # there, fromisoformat reads only four, two and two ASCII digits, and only a date on the calendar.
        try:
            return date.fromisoformat(s)
        except ValueError:
            pass  # the checks below say what is wrong
    if len(s) != 10 or s[4] != "-" or s[7] != "-" or not (_DIGITS.issuperset(s[:4] + s[5:7] + s[8:])):
        raise FieldError("a YYYY-MM-DD date")
    try:
        d: date | None = date(int(s[:4]), int(s[5:7]), int(s[8:]))
    except ValueError:
        d = None
    if d is None:  # raised here, not in the except block: no ValueError to chain, in either build
        raise FieldError("a YYYY-MM-DD date that exists on the calendar")
    return d


def parse_money(text: str) -> Decimal | None:
    """A dollar amount from 0 to 1,000,000; a leading ``$`` and thousands commas are accepted; empty -> None."""
    s = text.strip()
    if not s:
        return None
    if s[0] == "$":
        s = s[1:]
    if "," in s:
        s = s.replace(",", "")
    # Plain decimal notation only: Decimal() would also take 1e999999 or NaN, which break arithmetic later.
    whole, _dot, frac = (s[1:] if s[:1] == "-" else s).partition(".")
    if not (whole or frac) or not _DIGITS.issuperset(whole + frac):
        raise FieldError("a dollar amount such as 412.50")
    if len(frac) > 2:
        raise FieldError("a dollar amount with at most 2 decimals")
    value = Decimal(s)
    if value < 0:
        raise FieldError("an amount of 0 or more (a charge cannot be negative)")
    if value > MAX_CHARGE:
        raise FieldError("an amount of at most 1,000,000.00")
    return value


def parse_units(text: str) -> Decimal:
    """A whole number of units from 1 to 999 (``2.0`` is accepted as 2); empty -> 1."""
    s = text.strip()
    if not s or s == "1":
        return ONE
    whole, _dot, frac = s.partition(".")
    if not whole or len(whole) > 3 or not _DIGITS.issuperset(whole + frac) or frac.strip("0"):
        raise FieldError("a whole number of units from 1 to 999")
    n = int(whole)
    if n < 1:
        raise FieldError("a whole number of units from 1 to 999")
    return ONE if n == 1 else Decimal(n)


def split_modifiers(text: str) -> tuple[str, ...]:
    """Modifiers separated by ``:`` or spaces, upper-cased. Format is not checked here: the modifier
    rules report malformed ones, so they are kept as given."""
    s = text.strip()
    if not s:
        return ()
    if ":" in s:
        s = s.replace(":", " ")
    return tuple(s.upper().split())


def normalise_dx(code: str) -> str:
    """One ICD-10-CM code, upper case without the dot or spaces (``r91.1`` -> ``R911``)."""
    return code.strip().replace(".", "").replace(" ", "").upper()


def split_diagnoses(text: str) -> tuple[str, ...]:
    """ICD-10-CM codes separated by ``;`` (``,`` also accepted), principal first, normalised, no repeats."""
    s = text.replace(",", ";") if "," in text else text
    return tuple(dict.fromkeys(c for c in (normalise_dx(p) for p in s.split(";")) if c))


def parse_place_of_service(text: str) -> str | None:
    """A place-of-service code: 2 digits, a single digit is zero-padded; empty -> None.

    Anything else is kept as given (trimmed) so the place-of-service rule reports it as invalid.
    """
    s = text.strip()
    if not s:
        return None
    if len(s) == 1 and s in _DIGITS:
        return "0" + s
    return s


def parse_procedure_code(text: str) -> str:
    """A CPT/HCPCS code, trimmed and upper-cased; empty is an error (the line cannot be checked)."""
    s = text.strip().upper()
    if not s:
        raise FieldError("a CPT or HCPCS procedure code such as 71250")
    return s


def parse_npi(text: str) -> str | None:
    """An NPI, trimmed; empty -> None. The check digit is the NPI rule's job, so any text is kept."""
    s = text.strip()
    return s or None


def parse_yes_no(text: str) -> bool | None:
    """yes/no (also y/n, true/false, 1/0, any case); empty -> None."""
    s = text.strip().lower()
    if not s:
        return None
    if s in _YES:
        return True
    if s in _NO:
        return False
    raise FieldError("yes or no")


def parse_payer(text: str) -> Payer:
    """``medicare`` (the default when empty) or ``commercial``."""
    s = text.strip().lower()
    if not s:
        return Payer.MEDICARE
    try:
        return _PAYERS[s]
    except KeyError:
        raise FieldError("medicare or commercial") from None


def parse_locality(text: str) -> str | None:
    """A Medicare locality as MAC-locality, e.g. ``13202-01``; empty -> None (national amounts)."""
    s = text.strip()
    if not s:
        return None
    if len(s) != 8 or s[5] != "-" or not _DIGITS.issuperset(s[:5] + s[6:]):
        raise FieldError("a MAC-locality such as 13202-01 (5 digits, a dash, 2 digits)")
    return s


def parse_contrast(text: str) -> str | None:
    """Documented contrast: ``none``, ``iv`` or ``oral`` (any case); empty -> None."""
    s = text.strip().lower()
    if not s:
        return None
    if s not in _CONTRAST:
        raise FieldError("none, iv or oral")
    return s


def parse_text(text: str) -> str | None:
    """Free text, trimmed; empty -> None."""
    s = text.strip()
    return s or None


def parse_line_number(text: str) -> int | None:
    """A service line number from 1 to 9999; empty -> None (the reader numbers the line itself)."""
    s = text.strip()
    if not s:
        return None
    if not _DIGITS.issuperset(s) or len(s) > 4 or int(s) < 1:
        raise FieldError("a line number from 1 to 9999")
    return int(s)
