"""Expected Medicare allowed amounts: worked PFS amounts, CMS's OPPS cap prices to the cent, MPPR, modifiers."""

from __future__ import annotations

import csv
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from claimfactory import claim, line
from ctscrub.model import Payer
from ctscrub.payment import NATIONAL, price_claim, quote
from ctscrub.refdata import ENV_DIR, ReferenceData, load_reference_data

CMS = Path(__file__).resolve().parents[2] / "shared" / "refdata" / "cms"
D25, D26 = date(2025, 6, 2), date(2026, 3, 2)


@pytest.fixture
def rd(monkeypatch: pytest.MonkeyPatch) -> ReferenceData:
    monkeypatch.delenv(ENV_DIR, raising=False)
    return load_reference_data()


def allowed(rd: ReferenceData, *lines: object, **kw: object) -> list[Decimal | None]:
    return [p.allowed for p in price_claim(claim(*lines, **kw), rd)]  # type: ignore[arg-type]


@pytest.mark.parametrize(("code", "mods", "dos", "locality", "expected"), [
    ("71250", (), D25, None, "131.00"),
    ("71250", ("26",), D25, None, "49.17"),
    ("71250", ("TC",), D25, None, "81.84"),
    ("71250", (), D26, None, "132.60"),
    ("71250", ("26",), D26, None, "49.43"),
    ("71250", ("TC",), D26, None, "83.17"),
    ("71260", (), D25, None, "164.32"),
    ("71270", (), D26, None, "195.73"),
    ("71271", (), D25, None, "135.53"),
    ("71271", (), D26, None, "136.28"),
    ("71250", (), D26, "13202-01", "151.64"),
    ("71250", (), D26, "02102-01", "155.27"),
    ("71250", (), D26, "05302-99", "119.40"),
    ("71250", (), D25, "13202-01", "150.17"),
    ("71250", ("26",), D25, "13202-01", "54.59"),
    ("71250", ("TC",), D25, "13202-01", "95.58"),
])
def test_worked_fee_schedule_amounts_from_the_domain_file(
        rd: ReferenceData, code: str, mods: tuple[str, ...], dos: date, locality: str | None, expected: str) -> None:
    assert allowed(rd, line(1, code, *mods, dos=dos), locality=locality) == [Decimal(expected)]


def test_71275_global_is_opps_capped_nationally(rd: ReferenceData) -> None:
    """2025: PFS 277.86 capped to 261.36; 2026: 280.57 capped to 262.87."""
    (p25,) = price_claim(claim(line(1, "71275", dos=D25)), rd)
    (p26,) = price_claim(claim(line(1, "71275", dos=D26)), rd)
    assert (p25.allowed, p26.allowed) == (Decimal("261.36"), Decimal("262.87"))
    assert "OPPS cap $261.36 instead of PFS $277.86" in p25.basis
    (pc,) = price_claim(claim(line(1, "71275", "26", dos=D25)), rd)
    assert "OPPS cap" not in pc.basis  # the professional component is never capped


def _cms_oppscap_rows() -> list[list[str]]:
    path = CMS / "OPPSCAP_Oct.csv"
    if not path.exists():
        pytest.skip("CMS OPPSCAP_Oct.csv absent")
    with path.open(newline="", encoding="utf-8") as fh:
        return [r for r in csv.reader(fh) if r[0] == "71275"]


def test_every_71275_row_of_cms_oppscap_2025_matches_the_computed_cap_to_the_cent(rd: ReferenceData) -> None:
    """Computed from the PFS OPPS PE/MP RVUs and the 2025 GPCIs (no cap table), for both settings."""
    rows = _cms_oppscap_rows()
    fs, gpcis = rd.fee_schedule(D25), rd.gpci(D25)
    assert fs is not None and gpcis is not None and len(rows) == 230
    mismatches = []
    for code, mod, _st, carrier, loc, fac, nonfac in rows:
        g = gpcis.get(f"{carrier}-{loc}")
        assert g is not None, f"no 2025 GPCI for {carrier}-{loc}"
        for facility, cms_price in ((True, fac), (False, nonfac)):
            q = quote(fs, g, None, code, mod, facility, f"{carrier}-{loc}")
            assert q is not None
            if q.amount != Decimal(cms_price):
                mismatches.append((mod, carrier, loc, facility, q.amount, cms_price))
    assert mismatches == []


def test_priced_claims_use_cms_cap_price_for_the_locality(rd: ReferenceData) -> None:
    (p,) = price_claim(claim(line(1, "71275", "TC", dos=D25), locality="01112-05"), rd)
    assert p.allowed == Decimal("251.96")
    assert "CMS OPPS cap 2025 (OPPSCAP_Oct.csv)" in (p.dataset or "")


def test_southern_california_locality_listed_under_01112_finds_its_gpci(rd: ReferenceData) -> None:
    g = rd.gpci(D25).get("01112-18")  # type: ignore[union-attr]
    assert g is not None and g.locality == "01182-18"
    assert rd.gpci(D25).get("01112-99") is None  # type: ignore[union-attr]


def test_mppr_ranks_by_tc_and_reduces_further_studies(rd: ReferenceData) -> None:
    """71260 (TC 111.27) outranks 71250 (TC 81.84); 71250 pays TC 50% + PC 95%: 40.92 + 46.7115 = 87.63."""
    prices = price_claim(claim(line(1, "71250", dos=D25), line(2, "71260", dos=D25)), rd)
    assert [p.allowed for p in prices] == [Decimal("87.63"), Decimal("164.32")]
    assert "MPPR TC 50%, PC 95% (2nd study that day)" in prices[0].basis
    assert "MPPR" not in prices[1].basis


def test_mppr_on_components(rd: ReferenceData) -> None:
    p26 = allowed(rd, line(1, "71260", "26", dos=D25), line(2, "71250", "26", dos=D25))
    assert p26[1] == Decimal("46.71")  # 49.17 x 0.95
    ptc = allowed(rd, line(1, "71260", "TC", dos=D25), line(2, "71250", "TC", dos=D25))
    assert ptc[1] == Decimal("40.92")  # 81.84 x 0.5


def test_no_mppr_across_dates_or_for_the_two_halves_of_one_study(rd: ReferenceData) -> None:
    assert allowed(rd, line(1, "71250", dos=D25), line(2, "71260", dos=date(2025, 6, 3))) == [
        Decimal("131.00"), Decimal("164.32")]
    assert allowed(rd, line(1, "71250", "26", dos=D25), line(2, "71250", "TC", dos=D25)) == [
        Decimal("49.17"), Decimal("81.84")]


def test_ct_modifier_reduces_the_tc_part_15_percent(rd: ReferenceData) -> None:
    assert allowed(rd, line(1, "71250", "TC", "CT", dos=D25)) == [Decimal("69.56")]  # 81.84 x 0.85
    assert allowed(rd, line(1, "71250", "CT", dos=D25)) == [Decimal("118.73")]  # 69.564 + 49.17
    assert allowed(rd, line(1, "71250", "26", "CT", dos=D25)) == [Decimal("49.17")]  # PC unaffected


def test_facility_place_of_service_uses_facility_pe_and_says_only_26_is_payable(rd: ReferenceData) -> None:
    (p,) = price_claim(claim(line(1, "71250", "26", dos=D25, pos="22")), rd)
    assert p.allowed == Decimal("49.17") and "PFS 2025 facility" in p.basis
    (g,) = price_claim(claim(line(1, "71250", dos=D25, pos="22")), rd)
    assert "only -26 is payable" in g.basis


def test_modifier_52_basis_says_contractor_priced(rd: ReferenceData) -> None:
    (p,) = price_claim(claim(line(1, "71250", "52", dos=D25)), rd)
    assert p.allowed == Decimal("131.00") and "contractor-priced" in p.basis


def test_commercial_payer_amount_is_labelled_medicare_benchmark(rd: ReferenceData) -> None:
    (p,) = price_claim(claim(line(1, "71250", dos=D25), payer=Payer.COMMERCIAL), rd)
    assert p.basis.startswith("Medicare benchmark: ") and p.allowed == Decimal("131.00")


def test_unknown_locality_is_priced_nationally_and_says_so(rd: ReferenceData) -> None:
    (p,) = price_claim(claim(line(1, "71250", dos=D26), locality="99999-01"), rd)
    assert p.allowed == Decimal("132.60") and "locality 99999-01 not in GPCI 2026" in p.basis
    assert rd.missing_notes() == set()


def test_year_without_fee_schedule_gives_no_amount_and_one_note(rd: ReferenceData) -> None:
    prices = price_claim(claim(line(1, "71250", dos=date(2027, 2, 1)), line(2, "71260", dos=date(2027, 2, 1))), rd)
    assert [p.allowed for p in prices] == [None, None]
    assert rd.missing_notes() == {"No Medicare physician fee schedule (PFS) covers dates of service in 2027; "
                                  "expected allowed amounts of those lines were not computed."}


def test_one_price_per_chest_ct_line_one_study_each(rd: ReferenceData) -> None:
    prices = price_claim(claim(line(1, "71250", dos=D25, units=2), line(2, "99213", dos=D25),
                               line(3, "71250", "26", "TC", dos=D25)), rd)
    assert [(p.line, p.allowed) for p in prices] == [(1, Decimal("131.00")), (3, None)]
    assert "both 26 and TC" in prices[1].basis


def test_basis_and_dataset_name_the_versions_used(rd: ReferenceData) -> None:
    (p,) = price_claim(claim(line(1, "71250", "TC", dos=D26), locality="13202-01"), rd)
    assert p.basis == "PFS 2026 non-facility, locality 13202-01 (MANHATTAN), technical component (TC)"
    assert p.dataset == "CMS PFS 2026 (PPRRVU2026_Jul_nonQPP.chest_ct_rows.csv); CMS GPCI 2026 (GPCI2026.csv)"


def test_national_gpci_is_one() -> None:
    assert (NATIONAL.work, NATIONAL.pe, NATIONAL.mp) == (1, 1, 1)


def test_repeat_with_76_is_a_separate_session_and_not_reduced(rd: ReferenceData) -> None:
    prices = allowed(rd, line(1, "71260", dos=D25), line(2, "71250", dos=D25), line(3, "71250", "76", dos=D25))
    assert prices == [Decimal("164.32"), Decimal("87.63"), Decimal("131.00")]


def test_missing_gpci_year_prices_nationally_with_a_note(rd: ReferenceData, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(type(rd), "gpci", lambda self, dos: None)
    (p,) = price_claim(claim(line(1, "71250", dos=D26), locality="13202-01"), rd)
    assert p.allowed == Decimal("132.60") and "priced at national GPCIs" in p.basis
    assert any("No GPCI table covers dates of service in 2026" in n for n in rd.missing_notes())
