"""The X12 837P reader on generated fixtures: delimiters, envelopes, floating claims, every extracted field."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from ctscrub.formats import FileRejected, PeekedStream, open_reader, x12_segments
from ctscrub.formats.x12_837p import Reader
from ctscrub.model import Claim, Finding, Payer
from x12_fixtures import (
    BAD_NPI,
    GOOD_NPI,
    ORDERING_NPI,
    OTHER_NPI,
    RENDERING_NPI,
    ClaimSpec,
    Delims,
    Group,
    Interchange,
    Line,
    Patient,
    Subscriber,
    Transaction,
    bench_interchange,
    build,
    iter_render,
    render,
)


def read(data: bytes) -> tuple[list[Claim], list[Finding]]:
    reader = Reader(PeekedStream(io.BytesIO(data)))
    claims = list(reader.claims())
    return claims, reader.file_findings


def rules_of(findings: list[Finding]) -> list[str]:
    return [f.rule for f in findings]


def malformed(claim: Claim) -> list[str]:
    return [f.message for f in claim.reader_findings if f.rule == "X12_CLAIM_MALFORMED"]


# --- delimiters, BOM, line breaks ---------------------------------------------------------------------

DELIMITER_SETS = {
    "star-colon-tilde-newline": Delims(),
    "pipe-caret-tilde-no-newline": Delims(element="|", component="^", repetition="{", segment="~", after=""),
    "caret-gt-newline-terminator": Delims(element="^", component=">", repetition="{", segment="\n", after=""),
    "bang-terminator-crlf": Delims(segment="!", after="\r\n"),
    "cr-terminator-then-lf": Delims(segment="\r", after="\n"),
    "no-repetition-separator-U": Delims(repetition=None),
    "indented-segments": Delims(indent="    "),
    "tab-indent-and-crlf": Delims(indent="\t", after="\r\n"),
    "plus-element-backslash-component": Delims(element="+", component="\\", segment="'", after=""),
}


@pytest.mark.parametrize("name", sorted(DELIMITER_SETS))
def test_delimiters_come_from_the_isa(name: str) -> None:
    """Every delimiter set declared in the ISA reads to the same claim, without findings."""
    data = build(ClaimSpec(lines=[Line(modifiers=("26", "59")), Line(code="71260", pointers=("1", "2"))],
                           dx=("R911", "Z87891")), delims=DELIMITER_SETS[name])
    claims, file_findings = read(data)
    assert file_findings == []
    [claim] = claims
    assert claim.reader_findings == []
    assert claim.claim_id == "CLM0001"
    assert [ln.procedure_code for ln in claim.lines] == ["71250", "71260"]
    assert claim.lines[0].modifiers == ("26", "59")
    assert claim.lines[1].diagnosis_codes == ("R911", "Z87891")
    assert claim.place_of_service == "11"


def test_utf8_bom_is_accepted() -> None:
    """A UTF-8 byte order mark before the ISA is skipped (pyx12 crashes on it)."""
    claims, findings = read(build(bom=True))
    assert len(claims) == 1 and findings == []


def test_bom_through_format_detection() -> None:
    """open_reader routes a BOM-prefixed 837 to this reader."""
    reader = open_reader(io.BytesIO(build(bom=True)))
    assert reader.format_name == "x12-837p"
    assert [c.claim_id for c in reader.claims()] == ["CLM0001"]


def test_leading_blank_lines_before_isa() -> None:
    claims, findings = read(b"\r\n\n  " + build())
    assert len(claims) == 1 and findings == []


def test_last_segment_without_terminator_is_read() -> None:
    """Many real files end with 'IEA*1*...' and no terminator: not a truncation."""
    data = build(delims=Delims(after="")).rstrip(b"~")
    claims, findings = read(data)
    assert len(claims) == 1 and findings == []


@pytest.mark.parametrize("chunk", [1, 7, 64, 1000])
def test_chunk_boundaries_do_not_change_the_result(chunk: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Segments and multi-byte UTF-8 names split across read chunks are reassembled."""
    sub = Subscriber(last="MÜLLER-ŁÓDŹ", claims=[ClaimSpec(claim_id=f"C{i}") for i in range(5)])
    data = render(Interchange(groups=[Group(transactions=[Transaction(subscribers=[sub])])]))
    expected, _ = read(data)
    monkeypatch.setattr(x12_segments, "CHUNK", chunk)
    got, findings = read(data)
    assert findings == []
    assert [c.claim_id for c in got] == [c.claim_id for c in expected] == [f"C{i}" for i in range(5)]
    assert got[0].patient_last_name == "MÜLLER-ŁÓDŹ"


# --- several interchanges, groups, transactions -----------------------------------------------------

def test_many_isa_gs_st_each_with_its_own_delimiters() -> None:
    """Two interchanges with different delimiters, the first with two groups, one group with two ST."""
    sub = lambda cid: Subscriber(claims=[ClaimSpec(claim_id=cid)])  # noqa: E731
    x1 = Interchange(groups=[
        Group(transactions=[Transaction(subscribers=[sub("A1")]),
                            Transaction(subscribers=[sub("A2")], control="0002")]),
        Group(transactions=[Transaction(subscribers=[sub("A3")])], control="102"),
    ], control="000000001")
    x2 = Interchange(groups=[Group(transactions=[Transaction(subscribers=[sub("B1")])])],
                     delims=Delims(element="|", component="^", repetition="{", segment="\n", after=""),
                     control="000000002")
    claims, findings = read(render(x1, x2))
    assert findings == []
    assert [c.claim_id for c in claims] == ["A1", "A2", "A3", "B1"]
    assert all(c.reader_findings == [] for c in claims)
    assert claims[3].lines[0].procedure_code == "71250"


def test_floating_claims_under_subscriber_and_patient_hls() -> None:
    """A claim takes the patient data of the HL it follows: subscriber (22) or patient (23)."""
    sub = Subscriber(payer_type="MB", last="SUBLAST", first="SUBFIRST", member_id="MEMBER1", dob="19500102",
                     claims=[ClaimSpec(claim_id="SUBCLAIM1"), ClaimSpec(claim_id="SUBCLAIM2")],
                     patients=[Patient(last="DEPLAST", first="DEPFIRST", dob="20100607",
                                       claims=[ClaimSpec(claim_id="DEPCLAIM")])])
    sub2 = Subscriber(payer_type="CI", member_id="MEMBER2", dob="19600303", claims=[ClaimSpec(claim_id="OTHER")])
    data = render(Interchange(groups=[Group(transactions=[Transaction(subscribers=[sub, sub2])])]))
    claims, _ = read(data)
    by_id = {c.claim_id: c for c in claims}
    assert list(by_id) == ["SUBCLAIM1", "SUBCLAIM2", "DEPCLAIM", "OTHER"]
    for cid in ("SUBCLAIM1", "SUBCLAIM2"):
        c = by_id[cid]
        assert (c.patient_last_name, c.patient_first_name, c.birth_date) == ("SUBLAST", "SUBFIRST", date(1950, 1, 2))
        assert c.member_id == "MEMBER1"
    dep = by_id["DEPCLAIM"]
    assert (dep.patient_last_name, dep.patient_first_name) == ("DEPLAST", "DEPFIRST")
    assert dep.birth_date == date(2010, 6, 7)
    assert dep.member_id == "MEMBER1"  # the subscriber's id
    assert dep.payer is Payer.MEDICARE and dep.payer_type_code == "MB"
    assert by_id["OTHER"].birth_date == date(1960, 3, 3) and by_id["OTHER"].payer is Payer.COMMERCIAL


def test_cob_loops_do_not_overwrite_patient_providers_or_f8() -> None:
    """2320/2330 (other subscriber NM1*IL, other payer REF*F8, NM1*DN) belong to another payer."""
    claims, _ = read(build(ClaimSpec(cob=True, ordering_dn_npi=ORDERING_NPI), last="REALPATIENT"))
    [c] = claims
    assert c.patient_last_name == "REALPATIENT" and c.member_id == "1EG4TE5MK73"
    assert c.has_original_reference is False
    assert c.ordering_npi == ORDERING_NPI and c.lines[0].ordering_npi == ORDERING_NPI
    assert c.rendering_npi == RENDERING_NPI


# --- extracted fields -----------------------------------------------------------------------------

def test_claim_level_fields() -> None:
    spec = ClaimSpec(claim_id="PCN-77", lines=[Line(charge="150.50"), Line(code="71260", charge="99.5")],
                     pos="22", frequency="7", ref_f8="ORIG123", dx=("r91.1", "Z87.891", "F17210"))
    [c], _ = read(build(spec))
    assert c.claim_id == "PCN-77"
    assert c.total_charge == Decimal("250.00")
    assert c.place_of_service == "22" and c.frequency_code == "7"
    assert c.has_original_reference is True
    assert c.diagnosis_codes == ("R911", "Z87891", "F17210")  # dots removed, upper case
    assert c.billing_npi == GOOD_NPI
    assert c.documented == frozenset({"beneficiary_name", "service_date"})
    assert c.location is not None and c.location.startswith("segment ")


def test_claim_location_is_the_clm_segment_position() -> None:
    data = build()
    [c], _ = read(data)
    segments = [s.strip() for s in data.decode().split("~")]
    clm_pos = next(i for i, s in enumerate(segments, 1) if s.startswith("CLM*"))
    lx_pos = next(i for i, s in enumerate(segments, 1) if s.startswith("LX*"))
    assert c.location == f"segment {clm_pos}"
    assert c.lines[0].location == f"segment {lx_pos}"


def test_no_ref_f8_means_no_original_reference() -> None:
    [c], _ = read(build(ClaimSpec(frequency="8")))
    assert c.frequency_code == "8" and c.has_original_reference is False


@pytest.mark.parametrize(("code", "payer"), [("MB", Payer.MEDICARE), ("MA", Payer.MEDICARE),
                                             ("CI", Payer.COMMERCIAL), ("BL", Payer.COMMERCIAL),
                                             ("16", Payer.COMMERCIAL)])
def test_sbr09_payer_type(code: str, payer: Payer) -> None:
    [c], _ = read(build(payer_type=code))
    assert c.payer_type_code == code and c.payer is payer
    assert malformed(c) == []


def test_missing_sbr09_is_commercial_and_reported() -> None:
    [c], _ = read(build(payer_type=None))
    assert c.payer is Payer.COMMERCIAL and c.payer_type_code is None
    assert any("SBR09" in m for m in malformed(c))


def test_line_fields() -> None:
    lines = [Line(code="71275", modifiers=("26", "xe", "59", "GZ"), charge="700", units="2", pos="22",
                  pointers=("2", "1"), dos="20261002", control="CTRL-1", number="7"),
             Line(code="71260", dos="20261003", dos_end="20261005", pointers=None)]
    [c], _ = read(build(ClaimSpec(lines=lines, dx=("R911", "J189"))))
    a, b = c.lines
    assert (a.number, a.procedure_code, a.modifiers) == (7, "71275", ("26", "XE", "59", "GZ"))
    assert (a.charge, a.units) == (Decimal("700"), Decimal("2"))
    assert a.place_of_service == "22"  # SV105 overrides the claim
    assert a.diagnosis_codes == ("J189", "R911")
    assert a.service_date == date(2026, 10, 2) and a.service_date_end is None
    assert a.line_control == "CTRL-1"
    assert b.number == 2 and b.place_of_service == "11"
    assert b.diagnosis_codes == ("R911",)  # no SV107: the principal diagnosis
    assert (b.service_date, b.service_date_end) == (date(2026, 10, 3), date(2026, 10, 5))
    assert b.line_control is None


def test_pointers_beyond_hi_are_invalid_not_dropped_silently() -> None:
    [c], _ = read(build(ClaimSpec(lines=[Line(pointers=("1", "4", "X"))], dx=("R911", "J189"))))
    assert c.lines[0].diagnosis_codes == ("R911",)
    assert c.lines[0].diagnosis_pointers_invalid == ("4", "X")


def test_pointers_within_hi_are_all_valid() -> None:
    [c], _ = read(build(ClaimSpec(lines=[Line(pointers=("1", "2", "3", "4"))], dx=("R911", "J189", "R0781", "R042"))))
    assert c.lines[0].diagnosis_pointers_invalid == ()
    assert c.lines[0].diagnosis_codes == ("R911", "J189", "R0781", "R042")


def test_icd9_bk_bf_codes_are_kept() -> None:
    """ICD-9 qualifiers are read as codes so the diagnosis rules flag them as invalid."""
    [c], _ = read(build(ClaimSpec(dx=("4779", "2724"), icd9=True)))
    assert c.diagnosis_codes == ("4779", "2724")


def test_hi_over_two_segments_and_cap_of_twelve() -> None:
    dx = tuple(f"R{100 + i}" for i in range(14))
    [c], _ = read(build(ClaimSpec(dx=dx, hi_per_segment=7)))
    assert c.diagnosis_codes == dx[:12]
    assert any("more than 12" in m for m in malformed(c))


def test_twelve_codes_are_not_reported() -> None:
    dx = tuple(f"R{100 + i}" for i in range(12))
    [c], _ = read(build(ClaimSpec(dx=dx, hi_per_segment=6)))
    assert c.diagnosis_codes == dx and malformed(c) == []


def test_providers_claim_level_and_line_overrides() -> None:
    """2310A DN / 2310B 82 on the claim; 2420E DK, 2420F DN, 2420A 82 override per line."""
    lines = [Line(), Line(ordering_dk_npi=OTHER_NPI, rendering_npi=GOOD_NPI), Line(ordering_dn_npi=BAD_NPI),
             Line(ordering_dk_npi=OTHER_NPI, ordering_dn_npi=BAD_NPI)]
    [c], _ = read(build(ClaimSpec(lines=lines, facility_npi="1999999984")))
    assert c.ordering_npi == ORDERING_NPI and c.rendering_npi == RENDERING_NPI
    assert [ln.ordering_npi for ln in c.lines] == [ORDERING_NPI, OTHER_NPI, BAD_NPI, OTHER_NPI]
    assert [ln.rendering_npi for ln in c.lines] == [RENDERING_NPI, GOOD_NPI, RENDERING_NPI, RENDERING_NPI]
    assert "1999999984" not in {c.ordering_npi, c.rendering_npi, c.billing_npi}  # 2310C facility


def test_no_ordering_provider_anywhere() -> None:
    [c], _ = read(build(ClaimSpec(ordering_dn_npi=None, rendering_npi=None)))
    assert c.ordering_npi is None and c.lines[0].ordering_npi is None and c.lines[0].rendering_npi is None


def test_nm1_without_xx_qualifier_is_not_an_npi() -> None:
    line = Line(extra=[["NM1", "DK", "1", "ORDER", "", "", "", "", "24", "123456789"]])
    [c], _ = read(build(ClaimSpec(lines=[line], ordering_dn_npi=None)))
    assert c.lines[0].ordering_npi is None


def test_subscriber_without_birth_date() -> None:
    [c], _ = read(build(dob=None))
    assert c.birth_date is None and malformed(c) == []


def test_bad_birth_date_is_reported_without_its_value() -> None:
    [c], _ = read(build(dob="19551399"))
    assert c.birth_date is None
    [msg] = malformed(c)
    assert "DMG" in msg and "19551399" not in msg


# --- rejections ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("version", "lines", "says"), [
    ("005010X223A2", [Line(service_segment="SV2")], "837I"),
    ("005010X222A1", [Line(service_segment="SV2")], "837I"),  # GS08 lies: the SV2 decides
    ("005010X224A2", [Line(service_segment="SV3")], "837D"),
    ("005010X222A1", [Line(service_segment="SV3")], "837D"),
    ("004010X098A1", [Line()], "4010"),
    ("005010X221A1", [Line()], "005010X221A1"),
])
def test_not_professional_837_is_rejected(version: str, lines: list[Line], says: str) -> None:
    with pytest.raises(FileRejected) as exc:
        read(build(ClaimSpec(lines=lines), version=version))
    assert exc.value.rule == "FILE_UNSUPPORTED_FORMAT"
    assert says in exc.value.reason
    assert exc.value.where is not None and exc.value.where.startswith("segment ")


@pytest.mark.parametrize("version", ["005010X222", "005010X222A1", "005010X222A2"])
def test_the_whole_x222_family_is_accepted(version: str) -> None:
    claims, findings = read(build(version=version))
    assert len(claims) == 1 and findings == []


@pytest.mark.parametrize(("st01", "name"), [("835", "remittance"), ("270", "eligibility"), ("999", "acknowledg")])
def test_other_transaction_sets_are_named(st01: str, name: str) -> None:
    data = render(Interchange(groups=[Group(transactions=[Transaction(st01=st01)])]))
    with pytest.raises(FileRejected) as exc:
        read(data)
    assert exc.value.rule == "FILE_UNSUPPORTED_FORMAT"
    assert name in exc.value.reason and st01 in exc.value.reason


@pytest.mark.parametrize(("data", "why"), [
    (b"ISA*00*  *00*", "shorter"),
    (b"GS*HC*X~ST*837*1~", "ISA"),
    (b"ISA000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
     b"00000000000000", "element separator"),
    (b"\xef\xbb\xbf", "empty"),
])
def test_unreadable_isa_is_file_malformed_with_byte_offset(data: bytes, why: str) -> None:
    with pytest.raises(FileRejected) as exc:
        read(data)
    assert exc.value.rule == "FILE_MALFORMED"
    assert why in exc.value.reason
    assert exc.value.where == "byte 0"


def test_second_broken_isa_names_its_byte_offset() -> None:
    first = build()
    with pytest.raises(FileRejected) as exc:
        read(first + b"ISA*00*short~")
    assert exc.value.rule == "FILE_MALFORMED"
    assert exc.value.where == f"byte {len(first)}"


def test_component_separator_equal_to_element_separator_is_malformed() -> None:
    data = build().replace(b"*T*:~", b"*T**~", 1)
    with pytest.raises(FileRejected) as exc:
        read(data)
    assert exc.value.rule == "FILE_MALFORMED" and "ISA16" in exc.value.reason


def test_variable_width_isa_is_read_with_a_warning() -> None:
    data = build().replace(b"SCRUBTEST      *", b"SCRUBTEST*", 1)
    claims, findings = read(data)
    assert len(claims) == 1
    assert rules_of(findings) == ["X12_ENVELOPE"] and "fixed width" in findings[0].message


# --- envelope problems are warnings ------------------------------------------------------------------

@pytest.mark.parametrize(("tx", "group", "xchg", "says"), [
    ({"se_count": "99"}, {}, {}, "SE01"),
    ({"se_control": "9999"}, {}, {}, "SE02"),
    ({}, {"ge_count": "3"}, {}, "GE01"),
    ({}, {"ge_control": "555"}, {}, "GE02"),
    ({}, {}, {"iea_count": "2"}, "IEA01"),
    ({}, {}, {"iea_control": "000000999"}, "IEA02"),
])
def test_wrong_counts_and_control_numbers_are_envelope_warnings(tx: dict, group: dict, xchg: dict,
                                                                 says: str) -> None:
    data = render(Interchange(groups=[Group(transactions=[Transaction(**tx)], **group)], **xchg))
    claims, findings = read(data)
    assert len(claims) == 1 and claims[0].reader_findings == []
    assert rules_of(findings) == ["X12_ENVELOPE"]
    assert says in findings[0].message and "segment" in findings[0].message


def test_correct_envelope_has_no_findings() -> None:
    data = render(Interchange(groups=[Group(transactions=[Transaction(), Transaction(control="0002")])]))
    claims, findings = read(data)
    assert len(claims) == 2 and findings == []


def test_truncated_file_keeps_earlier_claims_and_flags_the_cut_one() -> None:
    sub = Subscriber(claims=[ClaimSpec(claim_id="WHOLE"), ClaimSpec(claim_id="CUT", lines=[Line(), Line()])])
    data = render(Interchange(groups=[Group(transactions=[Transaction(subscribers=[sub])])]))
    cut = data[:data.index(b"LX*2")]
    claims, findings = read(cut)
    assert [c.claim_id for c in claims] == ["WHOLE", "CUT"]
    assert claims[0].reader_findings == []
    assert any("ends inside this claim" in m for m in malformed(claims[1]))
    [env] = findings
    assert env.rule == "X12_ENVELOPE" and "SE, GE, IEA" in env.message and "truncated" in env.message


def test_missing_se_between_transactions_is_reported() -> None:
    data = render(Interchange(groups=[Group(transactions=[Transaction(omit_se=True), Transaction(control="2")])]))
    claims, findings = read(data)
    assert len(claims) == 2
    assert any("no SE trailer" in f.message for f in findings)


def test_content_after_the_last_iea_is_reported_and_ignored() -> None:
    claims, findings = read(build() + b"\x1a garbage")
    assert len(claims) == 1
    assert rules_of(findings) == ["X12_ENVELOPE"] and "after the last IEA" in findings[0].message


def test_component_separator_mismatch_is_reported_and_read() -> None:
    """ISA16 says ':' but the body writes 'HC>71250>26': say so, name both, and read the claim."""
    spec = ClaimSpec(lines=[Line(modifiers=("26",), pointers=("1", "2"))], dx=("R911", "J189"))
    [c], findings = read(build(spec, delims=Delims(body_component=">")))
    assert rules_of(findings) == ["X12_ENVELOPE"]
    assert "'>'" in findings[0].message and "':'" in findings[0].message and "ISA16" in findings[0].message
    assert c.lines[0].procedure_code == "71250" and c.lines[0].modifiers == ("26",)
    assert c.diagnosis_codes == ("R911", "J189") and c.lines[0].diagnosis_codes == ("R911", "J189")
    assert c.place_of_service == "11" and c.frequency_code == "1"


# --- broken claims are reported on that claim; the others are still read ----------------------------

@pytest.mark.parametrize(("spec", "says"), [
    (ClaimSpec(lines=[Line(omit_sv1=True), Line()]), "no SV1"),
    (ClaimSpec(lines=[Line(sv1=["SV1", "71250", "400", "UN", "1"]), Line()]), "SV101"),
    (ClaimSpec(lines=[Line(charge="abc")]), "SV102"),
    (ClaimSpec(lines=[Line(units="-1")]), "SV104"),
    (ClaimSpec(lines=[Line(dos="20261332")]), "DTP*472"),
    (ClaimSpec(lines=[Line(dos="20261005", dos_end="20261001")]), "DTP*472"),
    (ClaimSpec(lines=[Line(dos="2026", date_qualifier="D8")]), "DTP*472"),
    (ClaimSpec(claim_id=""), "CLM01"),
    (ClaimSpec(total="1,000"), "CLM02"),
    (ClaimSpec(clm05=""), "CLM05"),
    (ClaimSpec(lines=[]), "no service lines"),
    (ClaimSpec(extra=[["HI", "ABK"]]), "HI"),
    (ClaimSpec(lines=[Line(number="A")]), "line number"),
])
def test_broken_claim_is_reported_on_that_claim_only(spec: ClaimSpec, says: str) -> None:
    sub = Subscriber(claims=[ClaimSpec(claim_id="GOOD1"), spec, ClaimSpec(claim_id="GOOD2")])
    claims, findings = read(render(Interchange(groups=[Group(transactions=[Transaction(subscribers=[sub])])])))
    assert findings == []
    assert len(claims) == 3
    good1, bad, good2 = claims
    assert good1.reader_findings == [] and good2.reader_findings == []
    messages = malformed(bad)
    assert any(says in m for m in messages), messages
    assert all("segment" in m for m in messages)
    assert {f.claim_id for f in bad.reader_findings} == {bad.claim_id}


def test_sv1_without_lx_is_kept_and_reported() -> None:
    line = Line(extra=[["SV1", ("HC", "71260"), "100", "UN", "1"]])
    [c], _ = read(build(ClaimSpec(lines=[line])))
    assert [ln.procedure_code for ln in c.lines] == ["71250", "71260"]
    assert any("no LX" in m for m in malformed(c))


def test_lines_without_clm_become_a_reported_placeholder_claim() -> None:
    body = render().replace(b"CLM*CLM0001*400.00***11:B:1*Y*A*Y*Y~\n", b"")
    [c], _ = read(body)
    assert c.claim_id.startswith("(no CLM")
    assert any("no CLM" in m for m in malformed(c))


def test_patient_data_never_appears_in_findings() -> None:
    """Names, birth dates and member ids stay out of every message and suggestion."""
    secret = dict(last="ZQSECRETLAST", first="ZQSECRETFIRST", member_id="ZQMEMBER99", dob="19551399")
    spec = ClaimSpec(claim_id="", lines=[Line(omit_sv1=True), Line(charge="x", dos="bad")], clm05="", total="?")
    claims, findings = read(build(spec, payer_type=None, **secret) + b"trailing")
    texts = [f.message + f.suggestion for c in claims for f in c.reader_findings] + \
        [f.message + f.suggestion for f in findings]
    assert len(texts) >= 6
    for text in texts:
        for value in ("ZQSECRET", "ZQMEMBER99", "19551399", "1955-13"):
            assert value not in text


def test_reader_streams_claims_before_reading_the_whole_file() -> None:
    """The first claim is yielded after reading only the first chunks of a large file."""
    data = "".join(iter_render([bench_interchange(3000)])).encode()

    class Counting(io.BytesIO):
        read_total = 0

        def read(self, size: int | None = -1, /) -> bytes:
            chunk = super().read(size)
            Counting.read_total += len(chunk)
            return chunk

    reader = Reader(PeekedStream(Counting(data)))
    first = next(iter(reader.claims()))
    assert first.claim_id == "C00000000"
    assert Counting.read_total < len(data) // 4


def test_iea_text_inside_an_element_does_not_end_the_interchange() -> None:
    """'IEA*' inside a name is data, not a trailer: both interchanges are still read."""
    x1 = Interchange(groups=[Group(transactions=[Transaction(subscribers=[Subscriber(last="XIEA")])])])
    x2 = Interchange(delims=Delims(element="|", component="^", segment="\n", after=""), control="000000002")
    claims, findings = read(render(x1, x2))
    assert len(claims) == 2 and findings == []
    assert claims[0].patient_last_name == "XIEA"


@pytest.mark.parametrize(("old", "new"), [
    ("SV1*HC:71250*450.00*UN*1***1~", "SV1*HC:71250*450.00*UN*1***\u00b2~"),  # isdigit() but not int()
    ("SE*27*0001~", "SE*2\u00b2*0001~"),  # a segment count with such digits
    ("DTP*472*D8*20260915~", "DTP*472*D8*\u0662\u0660\u0662\u06660915~"),  # Arabic-Indic digits in a date
])
def test_unicode_digits_are_not_numbers_and_never_crash_the_reader(old: str, new: str) -> None:
    """str.isdigit() is true for superscripts and other scripts' digits; X12 numbers are ASCII only."""
    from pathlib import Path

    from ctscrub.pipeline import CollectingSink, ScrubOptions, scrub
    from ctscrub.refdata import load_reference_data

    text = (Path(__file__).resolve().parents[1] / "samples/x12/ct_clean.txt").read_text("utf-8")
    assert old in text
    sink = CollectingSink()
    summary = scrub(io.BytesIO(text.replace(old, new, 1).encode()),
                    ScrubOptions(as_of=date(2026, 11, 28), refdata=load_reference_data()), [sink],
                    upload_id="u", source_name="f")
    assert summary.status == "processed" and summary.claims == 1
    assert sink.all_findings()  # the odd value is reported (pointer, count or date), not silently accepted


def test_value_caches_hold_no_birth_date_and_no_long_text() -> None:
    """Module-level caches live as long as a warm Lambda container: no patient data, bounded size."""
    from ctscrub.formats import x12_values

    text = (Path(__file__).resolve().parents[1] / "samples/x12/ct_clean.txt").read_text("utf-8")
    dob = next(seg.split("*")[3] for seg in text.split("~") if seg.strip().startswith("DMG*D8*"))
    huge = "9" * 100_000
    text = text.replace("SV1*HC:71250*450.00*", f"SV1*HC:71250*{huge}*", 1)
    with io.BytesIO(text.encode()) as fh:
        claims = list(open_reader(fh).claims())
    assert claims[0].birth_date is not None
    assert dob not in x12_values._DATES
    assert all(len(k) <= 20 for k in [*x12_values._AMOUNTS, *x12_values._DATES])


def test_every_model_field_is_set() -> None:
    """Claim and ServiceLine are built with object.__new__: a field added to the model must be set too."""
    from dataclasses import fields

    data = b"".join([build(ClaimSpec(lines=[Line(modifiers=("26",)), Line(pointers=("1", "9"))], cob=True)),
                     "".join(iter_render([bench_interchange(3)])).encode()])
    orphan = build(ClaimSpec()).replace(b"CLM*", b"XXX*")  # lines without a CLM: a placeholder claim
    claims = read(data)[0] + read(orphan)[0]
    assert len(claims) >= 5 and any(c.claim_id.startswith("(no CLM") for c in claims)
    for claim in claims:
        for f in fields(Claim):
            getattr(claim, f.name)  # AttributeError: the reader does not set this field
        assert claim.lines
        for line in claim.lines:
            for f in fields(type(line)):
                getattr(line, f.name)
