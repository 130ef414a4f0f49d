"""Every registered check is shown to give a ``pass`` and a ``fail`` by some test.

Read from the tests' source, not recorded while they run, so it holds under ``-k`` and
for any subset: a call ``expect(findings, <check>, <status>, ...)`` names the check (a
string, or a name bound to one in the same function or module) and the status. The
``error`` case of every check is exercised by the engine gate in test_meta.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from auditpack.registry import default_registry

TESTS = Path(__file__).resolve().parent


def _is_text(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def _strings_bound(scope: ast.AST) -> dict[str, set[str]]:
    """Names bound to string constants in ``scope`` (assignments and for-loop tuples over literals)."""
    out: dict[str, set[str]] = {}
    for node in ast.walk(scope):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                pairs = zip(target.elts, node.value.elts) if isinstance(target, ast.Tuple) and isinstance(
                    node.value, ast.Tuple) else [(target, node.value)]
                for name, value in pairs:
                    if isinstance(name, ast.Name) and _is_text(value):
                        out.setdefault(name.id, set()).add(value.value)
        elif isinstance(node, ast.For) and isinstance(node.iter, (ast.Tuple, ast.List)):
            targets = node.target.elts if isinstance(node.target, ast.Tuple) else [node.target]
            for item in node.iter.elts:
                values = item.elts if isinstance(item, ast.Tuple) else [item]
                for target, value in zip(targets, values):
                    if isinstance(target, ast.Name) and _is_text(value):
                        out.setdefault(target.id, set()).add(value.value)
    return out


def _values(node: ast.expr, names: dict[str, set[str]]) -> set[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.Name):
        return names.get(node.id, set())
    return set()


def shown() -> set[tuple[str, str]]:
    """(check id, status) pairs some test asserts through ``expect``."""
    pairs: set[tuple[str, str]] = set()
    for path in sorted(TESTS.glob("test_*.py")):
        tree = ast.parse(path.read_text("utf-8"))
        module_names = _strings_bound(tree)
        for function in [tree, *(n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)))]:
            names = {**module_names, **_strings_bound(function)}
            for call in ast.walk(function):
                if (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == "expect"
                        and len(call.args) >= 3):
                    for check in _values(call.args[1], names):
                        for status in _values(call.args[2], names):
                            pairs.add((check, status))
    return pairs


SHOWN = shown()


@pytest.mark.parametrize("check_id", sorted(default_registry().checks))
@pytest.mark.parametrize("status", ["pass", "fail"])
def test_every_check_has_a_test_that_shows_it_give(check_id: str, status: str) -> None:
    assert (check_id, status) in SHOWN, f"no test calls expect(findings, {check_id!r}, {status!r}, ...)"
