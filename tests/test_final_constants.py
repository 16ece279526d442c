"""Module constants of the compiled modules are ``Final``: mypyc reads any other module global through the
module's dict on every use (about 140 instructions), and ``Final`` ones as C statics or folded constants.
Making them ``Final`` cut 3% of the compiled CSV run's instructions and 7% of the 837P run's
(docs/PERFORMANCE.md); this keeps a new constant from quietly undoing it. A constant that tests patch
stays plain (``monkeypatch.setattr`` on a ``Final`` would not reach compiled code) and is listed here.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
from build_compiled import HOT_MODULES  # noqa: E402

PACKAGE = ROOT / "layers" / "ctscrub" / "ctscrub"
# Patched by tests (monkeypatch.setattr), so read through the module's dict on purpose.
PATCHED = {
    "pipeline.py": {"PATIENT_DAY_WINDOW", "MAX_LINES_PER_PATIENT_DAY"},
    "formats/csv_v1.py": {"_MEMO_LIMIT"},
    "formats/x12_claim.py": {"_MEMO_MAX_TEXT"},
    "formats/x12_segments.py": {"CHUNK"},
    "refdata/__init__.py": {"_MEMO_LIMIT"},
    "rules/registry.py": {"_GATES", "_MEMO_LIMIT"},
}


def _is_constant_name(name: str) -> bool:
    bare = name.lstrip("_")
    return bool(bare) and bare[0].isalpha() and bare.upper() == bare


def _plain_constants(source: str) -> list[str]:
    """Upper-case module-level names bound once, never rebound by a ``global`` statement, and not Final."""
    tree = ast.parse(source)
    bound: dict[str, int] = {}
    final: set[str] = set()
    for node in tree.body:
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            for t in node.targets:
                targets += t.elts if isinstance(t, ast.Tuple) else [t]
            if isinstance(node.value, ast.Subscript) or (
                    isinstance(node.value, ast.Call) and ast.unparse(node.value.func) == "TypeVar"):
                continue  # a type alias or a TypeVar: not a value the code reads
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets = [node.target]
            if "Final" in ast.unparse(node.annotation):
                final.add(ast.unparse(node.target))
        for t in targets:
            if isinstance(t, ast.Name):
                bound[t.id] = bound.get(t.id, 0) + 1
    rebound = {n for node in ast.walk(tree) if isinstance(node, ast.Global) for n in node.names}
    return sorted(n for n, times in bound.items()
                  if times == 1 and n not in rebound and n not in final and _is_constant_name(n))


def test_module_constants_of_compiled_modules_are_final() -> None:
    plain = {module: names for module in HOT_MODULES
             if (names := set(_plain_constants((PACKAGE / module).read_text())) - PATCHED.get(module, set()))}
    assert plain == {}, f"annotate these as Final (or list them in PATCHED with the test that patches them): {plain}"


def test_the_patched_constants_exist_and_are_not_final() -> None:
    for module, names in PATCHED.items():
        source = (PACKAGE / module).read_text()
        assert set(_plain_constants(source)) >= names, module


def test_the_check_flags_a_plain_constant_and_passes_a_final_one() -> None:
    assert _plain_constants("LIMIT = 3\n_NAMES: tuple[str, ...] = ('a',)\nlower = 1\n") == ["LIMIT", "_NAMES"]
    assert _plain_constants("from typing import Final\nLIMIT: Final = 3\n") == []
    assert _plain_constants("CACHE = None\ndef f():\n    global CACHE\n    CACHE = 1\n") == []
    assert _plain_constants("_T = TypeVar('_T')\n_PAIR = tuple[str, int]\n") == []
