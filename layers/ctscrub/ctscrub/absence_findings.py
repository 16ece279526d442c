"""Findings that a line's partner is missing wait for the upload's later claims of that patient and date.

Two rules assert an absence: REPEAT_WITHOUT_ORIGINAL (76/77 with no other line of the code that date) and
DISTINCT_WITHOUT_PAIR (59/XE/XS/XP/XU with no other procedure that date). The pipeline checks a claim
against the upload's earlier claims only (it streams), so the partner can still come on a later claim of
the same patient and date, as when a billing system splits one visit over two claims.

A claim result with such a finding is held until its patient-days leave the same-patient index (the most
recent ``pipeline.PATIENT_DAY_WINDOW`` patient-days: the lines later claims can be compared with), or the
upload ends. Then each such finding is dropped when a later claim billed the partner, and the result goes
to the sinks. A 59/X{EPSU} line that was alone on its date, and whose later lines that date all bill its own
code, keeps its finding, reworded: the line is a repeat, which 76/77 mark, so removing 59 is not the fix.

Held results are bounded (``MAX_HELD``), so memory stays flat in file size; past the bound the oldest is
settled early, on the claims seen so far.
"""

from __future__ import annotations

from collections import deque
from datetime import date
from typing import Any, Final

from ctscrub.model import ClaimResult, Finding, ServiceLine
from ctscrub.rules.coding import DISTINCT_MODIFIERS
from ctscrub.rules.modifiers import distinct_on_repeat

REPEAT_WITHOUT_ORIGINAL: Final = "REPEAT_WITHOUT_ORIGINAL"
DISTINCT_WITHOUT_PAIR: Final = "DISTINCT_WITHOUT_PAIR"
ABSENCE_RULES: Final = frozenset({REPEAT_WITHOUT_ORIGINAL, DISTINCT_WITHOUT_PAIR})

MAX_HELD: Final = 10_000
"""Claim results held at most; the same bound as the patient-days the index keeps."""

_CLAIM_ID: Final = 0  # positions in the index's line tuples (SeenLine's field order)
_LINE: Final = 1
_CODE: Final = 2

PatientDay = tuple[int, date]


class _Wait:
    """One absence finding and where its partner would appear: the lines its patient-day gets after ``start``."""

    __slots__ = ("done", "finding", "key", "lone", "same_code", "start")

    def __init__(self, finding: Finding, key: PatientDay, start: int, same_code: bool,
                 lone: tuple[ServiceLine, str] | None = None) -> None:
        self.finding = finding
        self.key = key
        self.start = start
        self.same_code = same_code  # the partner is a line of the same code (76/77), else of another code (59...)
        # A 59/X{EPSU} line that was alone that date, and its distinct modifier: its finding says "nothing to be
        # distinct from", which a later line of the same code would make wrong advice.
        self.lone = lone
        self.done = False

    def partner_in(self, group: list[tuple[Any, ...]]) -> bool:
        code = self.finding.code
        for i in range(self.start, len(group)):
            if (group[i][_CODE] == code) is self.same_code:
                return True
        return False

    def same_code_in(self, group: list[tuple[Any, ...]]) -> tuple[Any, ...] | None:
        """The first line after ``start`` that bills the finding's code."""
        code = self.finding.code
        for i in range(self.start, len(group)):
            if group[i][_CODE] == code:
                return group[i]
        return None


class _Held:
    __slots__ = ("dropped", "open", "result", "settled", "waits")

    def __init__(self, result: ClaimResult, waits: list[_Wait]) -> None:
        self.result: ClaimResult | None = result  # None once settled: the sinks have it
        self.waits = waits
        self.open = len(waits)
        self.dropped: list[Finding] = []
        self.settled = False


class HeldResults:
    """The claim results waiting for later claims (one upload's; see the module's docstring)."""

    def __init__(self, max_held: int = MAX_HELD) -> None:
        self._by_key: dict[PatientDay, list[_Held]] = {}
        self._queue: deque[_Held] = deque()  # in the order they were held
        self._live = 0
        self._max = max_held

    def hold(self, result: ClaimResult, patient: int, lines_by_date: dict[date, Any],
             index: dict[PatientDay, list[tuple[Any, ...]]]) -> tuple[bool, list[ClaimResult]]:
        """Hold ``result`` when it has an absence finding whose patient-day is still in ``index``.

        ``lines_by_date``: the claim's dated lines by date of service (``ClaimFacts.by_date``);
        ``index``: the same-patient index, the claim's own lines already in it. Returns whether the result
        is held, and the results settled early to stay within the bound (sent on before it).
        """
        waits: list[_Wait] | None = None
        for f in result.findings:
            if f.rule not in ABSENCE_RULES or f.line is None:
                continue
            found = _line_of(f, lines_by_date)
            if found is None:
                continue
            dos, ln = found
            key = (patient, dos)
            group = index.get(key)
            if group is None:  # already out of the window: no later line can be compared with it
                continue
            if waits is None:
                waits = []
            repeat = f.rule == REPEAT_WITHOUT_ORIGINAL
            # alone that date: the group holds the claim's own lines that date, after the earlier claims'
            lone = None if repeat or len(group) != 1 else (ln, _distinct_modifier(ln))
            waits.append(_Wait(f, key, len(group), repeat, lone))
        if waits is None:
            return False, []
        held = _Held(result, waits)
        for w in waits:
            self._by_key.setdefault(w.key, []).append(held)
        queue = self._queue
        while queue and queue[0].settled:  # settled as their patient-days left the index, mostly in this order
            queue.popleft()
        queue.append(held)
        self._live += 1
        early: list[ClaimResult] = []
        while self._live > self._max:
            oldest = self._queue.popleft()
            if not oldest.settled:
                early.append(self._settle_now(oldest, index))
        return True, early

    def release(self, key: PatientDay, group: list[tuple[Any, ...]]) -> list[ClaimResult]:
        """The results settled by ``key``'s group leaving the index (its last lines are ``group``)."""
        waiting = self._by_key.pop(key, None)
        if not waiting:
            return []
        out: list[ClaimResult] = []
        for held in waiting:
            if held.settled:
                continue
            for w in held.waits:
                if w.key == key and not w.done:
                    self._resolve(held, w, group)
            if held.open == 0:
                out.append(self._finish(held))
        return out

    def release_all(self, index: dict[PatientDay, list[tuple[Any, ...]]]) -> list[ClaimResult]:
        """At the end of the upload: every held result, settled on all the claims read, in the order held."""
        out = [self._settle_now(held, index) for held in self._queue if not held.settled]
        self._queue.clear()
        self._by_key.clear()
        return out

    def __len__(self) -> int:
        return self._live

    def _settle_now(self, held: _Held, index: dict[PatientDay, list[tuple[Any, ...]]]) -> ClaimResult:
        for w in held.waits:
            if not w.done:
                group = index.get(w.key)
                if group is not None:
                    self._resolve(held, w, group)
        return self._finish(held)

    @staticmethod
    def _resolve(held: _Held, w: _Wait, group: list[tuple[Any, ...]]) -> None:
        w.done = True
        held.open -= 1
        if w.partner_in(group):
            held.dropped.append(w.finding)
        elif w.lone is not None:
            repeat = w.same_code_in(group)
            if repeat is not None:
                ln, mod = w.lone
                w.finding.message, w.finding.suggestion = distinct_on_repeat(
                    ln, mod, f"line {repeat[_LINE]} of claim {repeat[_CLAIM_ID]}")

    def _finish(self, held: _Held) -> ClaimResult:
        result = held.result
        assert result is not None  # each held result is settled once
        held.result = None
        held.settled = True
        self._live -= 1
        if held.dropped:
            dropped = held.dropped
            result.findings = [f for f in result.findings if not any(f is d for d in dropped)]
        return result


def _line_of(f: Finding, lines_by_date: dict[date, Any]) -> tuple[date, ServiceLine] | None:
    """The line ``f`` is about (its number and code) and its date of service, among the claim's dated lines."""
    for dos, lines in lines_by_date.items():
        for ln in lines:
            if ln.number == f.line and ln.procedure_code == f.code:
                return dos, ln
    return None


def _distinct_modifier(ln: ServiceLine) -> str:
    """The line's first 59/X{EPSU} modifier, the one its finding names (as the rule picks it)."""
    return next(m for m in ln.modifiers if m in DISTINCT_MODIFIERS)
