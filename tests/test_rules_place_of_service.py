"""POS_INVALID: a chest CT line needs a CMS place of service code (rules/place_of_service.py)."""

from __future__ import annotations

from datetime import date

import pytest
from claimfactory import claim, line
from ctscrub.model import Severity
from ctscrub.rules.place_of_service import pos_invalid
from ctscrub.rules.registry import RuleContext
from fakes import FakeReferenceData


def ctx() -> RuleContext:
    return RuleContext(as_of=date(2026, 3, 10), refdata=FakeReferenceData())


@pytest.mark.parametrize("pos", ["11", "12", "19", "21", "22", "23", "49", "81", "99"])
def test_assigned_cms_codes_are_valid(pos: str) -> None:
    assert list(pos_invalid(claim(line(1, "71250", pos=pos)), ctx())) == []


@pytest.mark.parametrize("pos", ["00", "30", "59", "64", "98"])
def test_unassigned_codes_are_invalid(pos: str) -> None:
    [f] = list(pos_invalid(claim(line(1, "71250", pos=pos)), ctx()))
    assert f.rule == "POS_INVALID" and f.severity is Severity.ERROR and f"'{pos}'" in f.message


def test_missing_place_of_service_on_a_chest_ct_line_is_invalid() -> None:
    [f] = list(pos_invalid(claim(line(1, "71260", pos=None)), ctx()))
    assert "no place of service" in f.message and "two-digit" in f.suggestion


def test_single_digit_code_is_fixed_by_writing_two_digits() -> None:
    [f] = list(pos_invalid(claim(line(1, "71250", pos="2")), ctx()))
    assert f.suggestion == "Write the place of service on line 1 as two digits: 02."


def test_non_ct_line_with_a_bad_place_of_service_gets_no_finding() -> None:
    assert list(pos_invalid(claim(line(1, "99213", pos="00")), ctx())) == []


def test_free_text_in_the_place_of_service_is_not_echoed() -> None:
    [f] = list(pos_invalid(claim(line(1, "71250", pos="DR JONES OFFICE")), ctx()))
    assert "JONES" not in f.message + f.suggestion
