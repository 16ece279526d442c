"""Property tests: mutated and truncated 837P files never raise anything but FileRejected from the reader."""

from __future__ import annotations

import io

from ctscrub.formats import FileRejected, PeekedStream
from ctscrub.formats.x12_837p import Reader
from ctscrub.model import Claim
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from x12_fixtures import ClaimSpec, Delims, Line, Patient, build

_SEEDS = [
    build(ClaimSpec(lines=[Line(modifiers=("26",)), Line(code="71271", pointers=("1", "2"), dos_end="20261003")],
                    dx=("Z87891", "Z122"), cob=True, ref_f8="X1", frequency="7")),
    build(ClaimSpec(claim_id="A"), ClaimSpec(claim_id="B", lines=[Line(ordering_dk_npi="1245319599")]),
          delims=Delims(element="|", component="^", segment="\n", after="", repetition=None), bom=True),
    build(patients=[Patient(claims=[ClaimSpec(claim_id="DEP")])], delims=Delims(segment="!", after="\r\n")),
]
_SEEDS.append(_SEEDS[0] + _SEEDS[1])  # two interchanges with different delimiters

_INTERESTING = [b"*", b":", b"~", b"^", b"|", b"\n", b"\r\n", b"ISA", b"IEA*1~", b"SE*", b"HL*9*1*23*0~", b"LX*",
                b"SV1*HC:71250*1~", b"CLM*~", b"SV2*", b"\xef\xbb\xbf", b"\xff\xfe", b"\x00", b" ", b"ST*837*1~"]


def run(data: bytes) -> list[Claim]:
    reader = Reader(PeekedStream(io.BytesIO(data)))
    try:
        claims = list(reader.claims())
    except FileRejected as exc:
        assert exc.rule in ("FILE_MALFORMED", "FILE_UNSUPPORTED_FORMAT")
        assert exc.reason
        return []
    for f in reader.file_findings:
        assert f.rule == "X12_ENVELOPE" and f.message
    for c in claims:
        assert c.claim_id
        for f in c.reader_findings:
            assert f.rule == "X12_CLAIM_MALFORMED" and f.claim_id == c.claim_id
    return claims


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(_SEEDS)))
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["delete", "insert", "replace", "truncate", "duplicate"]))
        pos = draw(st.integers(0, max(len(data) - 1, 0)))
        if op == "delete":
            del data[pos:pos + draw(st.integers(1, 40))]
        elif op == "insert":
            token = draw(st.one_of(st.sampled_from(_INTERESTING), st.binary(min_size=1, max_size=8)))
            data[pos:pos] = token
        elif op == "replace" and data:
            data[pos] = draw(st.integers(0, 255))
        elif op == "truncate":
            del data[pos:]
        elif op == "duplicate":
            end = min(len(data), pos + draw(st.integers(1, 200)))
            data[pos:pos] = data[pos:end]
    return bytes(data)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutations_end_as_findings_or_file_rejections(data: bytes) -> None:
    run(data)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(_SEEDS), st.data())
def test_truncation_anywhere_keeps_the_claims_read_so_far(seed: bytes, data: st.DataObject) -> None:
    """A file cut at any byte never crashes; cut after the ISA, whole claims before the cut stay intact."""
    cut = data.draw(st.integers(0, len(seed)))
    claims = run(seed[:cut])
    full = run(seed)
    complete_ids = [c.claim_id for c in full]
    got_ids = [c.claim_id for c in claims]
    # Claims read from a truncated file are a prefix of the full file's (the last one may be cut short).
    assert len(got_ids) <= len(complete_ids)
    if len(got_ids) > 1:
        assert got_ids[:-1] == complete_ids[:len(got_ids) - 1]


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_random_bytes_after_isa_never_crash(tail: bytes) -> None:
    run(_SEEDS[0][:106] + tail)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["HL*1**20*1", "HL*2*1*22*0", "HL*3*2*23*0", "SBR*P*18*******MB", "CLM*X*10***11:B:1",
                                 "HI*ABK:R911", "LX*1", "SV1*HC:71250*10*UN*1***1", "DTP*472*D8*20261001",
                                 "NM1*DK*1*A****XX*1245319599", "REF*F8*1", "SE*5*1", "ST*837*1*005010X222A1",
                                 "DMG*D8*19500101", "NM1*IL*1*A*B****MI*1", "LX", "SV1", "CLM", "HI*BK", "DTP*472"]),
                max_size=40))
def test_segments_in_any_order_never_crash(segments: list[str]) -> None:
    head = _SEEDS[0][:_SEEDS[0].index(b"BHT")]
    run(head + "~".join(segments).encode() + b"~")
