"""The reader's memo of segments already read (ClaimBuilder.known): a hit does what reading again would."""

from __future__ import annotations

import io
from dataclasses import fields, is_dataclass

import pytest
from ctscrub.formats import FileRejected, PeekedStream, x12_837p, x12_claim
from ctscrub.formats.x12_837p import Reader
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from x12_fixtures import ORDERING_NPI, ClaimSpec, Line, Patient, bench_interchange, build, iter_render

_SEEDS = [
    build(ClaimSpec(lines=[Line(modifiers=("26",)), Line(code="71271", pointers=("1", "2"), dos_end="20261003")],
                    dx=("Z87891", "Z122"), cob=True, ref_f8="X1", frequency="7"),
          ClaimSpec(claim_id="Q2", lines=[Line(ordering_dk_npi="1245319599"), Line(pointers=("3",))])),
    build(patients=[Patient(claims=[ClaimSpec(claim_id="DEP", ordering_dn_npi=ORDERING_NPI)])]),
    "".join(iter_render([bench_interchange(4)])).encode(),
]
# Segments that mean different things in different loops, or that are read with a problem.
_EXTRA = ["HI*ABK:R911*ABF:Z87891", "HI*ABK:R911*XX:1", "HI*ABK;R911", "DTP*472*D8*20260901", "DTP*472*D8*20261399",
          "DTP*472*RD8*20260101-20260102", "DTP*431*D8*20260901", "NM1*DN*1*X****XX*1245319599", "NM1*82*1*R****XX*2",
          "NM1*DK*1*K****XX*3", "NM1*85*2*B*****XX*4", "NM1*82*1*R****ZZ*2", "SBR*P*18*******MB", "SBR*S*18*G1******CI",
          "LX*1", "LX*A", "LX", "SV1*HC:71250*10*UN*1***1:2", "SV1*HC:71250*10*UN*0***1", "SV1*HC:71250**UN*1***5",
          "SV1*HC;71250*1*UN*1***1", "SV1*XX:71250*10*UN*1", "PRV*PE*PXC*2085R0202X", "REF*6R*A", "REF*F8*1",
          "HL*9*1*23*0", "NM1*QC*1*PAT*Q", "CLM*X1*10***11:B:1", "CLM*X2*10***11;B;1"]


def _plain(o: object) -> object:
    if is_dataclass(o) and not isinstance(o, type):
        return {f.name: _plain(getattr(o, f.name)) for f in fields(o)}
    if isinstance(o, (list, tuple)):
        return [_plain(x) for x in o]
    return o


def _read(data: bytes) -> object:
    reader = Reader(PeekedStream(io.BytesIO(data)))
    try:
        claims = list(reader.claims())
    except FileRejected as exc:
        return exc.rule, exc.reason, exc.where
    return _plain(claims), _plain(reader.file_findings)


@st.composite
def _shuffled(draw: st.DrawFn) -> bytes:
    """A seed with whole segments copied, inserted, deleted or swapped inside its transaction."""
    segments = [s.strip() for s in draw(st.sampled_from(_SEEDS)).decode().split("~")]
    head, body, tail = segments[:3], segments[3:-4], segments[-4:]
    for _ in range(draw(st.integers(1, 8))):
        op = draw(st.sampled_from(["copy", "insert", "delete", "swap"]))
        at = draw(st.integers(0, len(body) - 1))
        if op == "copy":
            body.insert(draw(st.integers(0, len(body))), body[at])
        elif op == "insert":
            body.insert(at, draw(st.sampled_from(_EXTRA)))
        elif op == "delete" and len(body) > 1:
            del body[at]
        elif op == "swap":
            other = draw(st.integers(0, len(body) - 1))
            body[at], body[other] = body[other], body[at]
    return "~\n".join(head + body + tail).encode()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_shuffled())
def test_a_remembered_segment_means_what_reading_it_again_would(data: bytes) -> None:
    with_memo = _read(data)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(x12_claim, "_MEMO_MAX_TEXT", -1)  # nothing is remembered: every segment is read afresh
        assert _read(data) == with_memo


@pytest.mark.skipif(not x12_837p.__file__.endswith(".py"),
                    reason="a compiled reader binds ClaimBuilder when built: it cannot be replaced to record it")
def test_the_memo_keeps_no_patient_segment(monkeypatch: pytest.MonkeyPatch) -> None:
    builders: list[x12_claim.ClaimBuilder] = []

    class Recorded(x12_claim.ClaimBuilder):
        __slots__ = ()

        def __init__(self, *args: object) -> None:
            super().__init__(*args)  # type: ignore[arg-type]
            builders.append(self)

    monkeypatch.setattr(x12_837p, "ClaimBuilder", Recorded)
    text = "".join(iter_render([bench_interchange(20)]))
    assert text.count("SBR*P*18*******MB~") == 20
    text = text.replace("SBR*P*18*******MB~", "SBR*P*18*GROUP1******MB~", 1)  # SBR03: a group or policy number
    assert isinstance(_read(text.encode()), tuple)
    [builder] = builders
    kept = set(builder.known)
    assert {"SBR*P*18*******MB", "LX*1", "DTP*472*D8*20260901"} <= kept
    assert any(k.startswith("SV1*") for k in kept) and any(k.startswith("NM1*82*") for k in kept)
    assert not any(k.startswith(("NM1*IL*", "NM1*QC*", "DMG*", "CLM*", "REF*", "HL*", "N3*", "N4*", "SBR*P*18*GROUP1"))
                   for k in kept)
