"""The shape the code keeps (STYLE.md; issue 9): short functions, and an import inside a function
only with its reason beside it. Ruff and import-linter check the rest in `make test`."""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APP = sorted(path for folder in ("takedowns", "portal") for path in (ROOT / folder).rglob("*.py")
             if "migrations" not in path.parts)
BENCH = sorted((ROOT / "bench").glob("*.py"))
CHECKED = sorted({*APP, *(ROOT / "tests").rglob("*.py"), *BENCH})
MAX_FUNCTION_LINES = 50
# A noqa comment for PLC0415 (ruff's import-outside-top-level) followed by words that say why.
REASONED = re.compile(r"#\s*noqa:[A-Z0-9, ]*PLC0415[A-Z0-9, ]*\W+\w+")


def _functions(path: Path):
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield node


def _is_text(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """A function whose body (its docstring aside) returns one string: an SQL statement of the
    bench's loads, which is data however long, not logic."""
    body = [node for node in function.body if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant))]
    returns_text = len(body) == 1 and isinstance(body[0], ast.Return)
    return returns_text and isinstance(body[0].value, (ast.JoinedStr, ast.Constant))


def test_no_function_of_the_app_or_the_bench_is_longer_than_50_lines():
    long = [f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({node.end_lineno - node.lineno + 1} lines)"
            for path in [*APP, *BENCH] for node in _functions(path)
            if node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES and not _is_text(node)]
    assert long == []


def test_every_import_inside_a_function_says_why():
    unexplained = []
    for path in CHECKED:
        lines = path.read_text().splitlines()
        for function in _functions(path):
            for node in ast.walk(function):
                if isinstance(node, (ast.Import, ast.ImportFrom)) and not REASONED.search(lines[node.lineno - 1]):
                    unexplained.append(f"{path.relative_to(ROOT)}:{node.lineno} {lines[node.lineno - 1].strip()}")
    assert unexplained == []


@pytest.mark.parametrize("line, reasoned", [
    ("    import holidays  # noqa: PLC0415 (imported only when the setting is used)", True),
    ("    from x import y  # noqa: F401, PLC0415  registers the checks", True),
    ("    import holidays  # noqa: PLC0415", False),
    ("    import holidays", False),
])
def test_the_reason_check_tells_a_reason_from_a_bare_noqa(line, reasoned):
    assert bool(REASONED.search(line)) == reasoned
