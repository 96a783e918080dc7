"""Hints teach without handing out the answer, and scaffolds keep an untouched stub "not attempted".

Every exercise has two hints (notebook 00, "how the exercises work"): the *stub hint*, the
``### HINT:`` lines of its solution region, which the student notebook shows as comments, says
in words what to compute and why; the *registry hint* of its ``Exercise``, printed after a FAIL,
is more concrete (the steps, the functions worth using, the shapes, the edge case checked).
Neither may hold a line of the solution. ``### SCAFFOLD:`` lines give the stub a skeleton,
placed after the ``raise`` so that a stub nobody touched still raises ``NotImplementedError``.
Exercises are found as in ``test_build.py`` (the regions of ``solutions/``) and
``test_mutants.py`` (the registry).
"""
import ast
import inspect
import io
import json
import re
import textwrap
import tokenize
from dataclasses import dataclass, field

import pytest

from resynth_lib.course import build as course
from resynth_lib.course.checks import REGISTRY
from resynth_lib.course.exercises.mutants import attach

attach()
EXERCISES = sorted(name for name in REGISTRY if name[:2].isdigit())
CHECK_CALL = re.compile(r'check\(\s*"([^"]+)"\s*,\s*([A-Za-z_]\w*)')
DEF = re.compile(r"^\s*def\s+([A-Za-z_]\w*)\s*\(")
#: solution lines with fewer non-space characters than this are too generic to compare
MIN_LINE = 12
#: a returned or assigned value, or an expression holding a call, this long is a piece of the answer too
MIN_EXPRESSION = 20
#: code in a stub hint: a call of a library function, or an assignment
LIBRARY_NAME = re.compile(r"\b(?:np|numpy|torch|F|G|H)\.[A-Za-z_]")
ASSIGNMENT = re.compile(r"(?<![=!<>+\-*/%&|^])=(?!=)")


@dataclass
class Region:
    """One ``### BEGIN SOLUTION`` region of a solution notebook."""

    notebook: str
    function: str
    cell: str
    hints: list = field(default_factory=list)
    scaffold: list = field(default_factory=list)
    code: list = field(default_factory=list)


def _regions() -> dict:
    """Exercise name -> its :class:`Region`, for every region of every solution notebook."""
    found = {}
    for path in sorted(course.SOLUTIONS_DIR.glob("*.ipynb")):
        cells = ["".join(c["source"]) for c in json.loads(path.read_text(encoding="utf-8"))["cells"]
                 if c["cell_type"] == "code"]
        name_of = {function: name for cell in cells for name, function in CHECK_CALL.findall(cell)}
        for cell in cells:
            function, region = None, None
            for line in cell.split("\n"):
                stripped = line.strip()
                if region is None and DEF.match(line):
                    function = DEF.match(line).group(1)
                elif stripped.startswith(course.BEGIN):
                    assert function in name_of, f"{path.name}: no check(...) names the exercise {function!r}"
                    region = Region(path.name, function, cell)
                elif stripped.startswith(course.END):
                    found[name_of[function]] = region
                    region = None
                elif region is not None:
                    if stripped.startswith(course.HINT):
                        region.hints.append(stripped[len(course.HINT):].strip())
                    elif stripped.startswith(course.SCAFFOLD):
                        region.scaffold.append(line.lstrip()[len(course.SCAFFOLD):])
                    elif stripped and not stripped.startswith("#"):
                        region.code.append(line)
    return found


REGIONS = _regions()


def _squash(text: str) -> str:
    """``text`` without whitespace, with one kind of quote: the whitespace-insensitive comparison."""
    return re.sub(r"\s+", "", text).replace("'", '"')


def _without_comment(line: str) -> str:
    """A line of code without its trailing ``# comment`` (a ``#`` inside a string stays)."""
    text = line.strip()
    try:
        for token in tokenize.generate_tokens(io.StringIO(text + "\n").readline):
            if token.type == tokenize.COMMENT:
                return text[:token.start[1]]
    except (tokenize.TokenError, IndentationError, SyntaxError):      # an unclosed bracket: a continued line
        pass
    return text


def _forbidden(code_lines: list) -> set:
    """What no hint may contain, squashed: the code's lines, its assignment statements, its long expressions."""
    out = set()
    for line in code_lines:
        text = _squash(_without_comment(line))
        if len(text) >= MIN_LINE:
            out |= {text, text.rstrip(":")}
    source = textwrap.dedent("\n".join(code_lines))
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            out |= {_squash(ast.get_source_segment(source, node)), _squash(ast.unparse(node))}
        values = []
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Return)) and node.value is not None:
            values.append(node.value)
        if isinstance(node, ast.expr) and any(isinstance(inner, ast.Call) for inner in ast.walk(node)):
            values.append(node)                                  # a call with its arguments, e.g. np.cumsum(d, axis=1)
        for value in values:
            for text in (_squash(ast.get_source_segment(source, value) or ""), _squash(ast.unparse(value))):
                if len(text) >= MIN_EXPRESSION:
                    out.add(text)
    return out


def _reference_lines(name: str) -> list:
    """The body of the library's reference function of exercise ``name``, without its docstring."""
    try:
        source = textwrap.dedent(inspect.getsource(REGISTRY[name].reference))
    except (OSError, TypeError):
        return []
    function = ast.parse(source).body[0]
    body = function.body[1:] if ast.get_docstring(function) is not None else function.body
    return [line for node in body for line in ast.get_source_segment(source, node).split("\n")]


def _leaks(hint: str, forbidden: set) -> list:
    squashed = _squash(hint)
    return sorted(text for text in forbidden if text and text in squashed)


def _stub_hint(name: str) -> str:
    return " ".join(REGIONS[name].hints)


def test_every_region_is_a_registered_exercise():
    assert len(REGIONS) >= 29
    assert set(REGIONS) <= set(EXERCISES), sorted(set(REGIONS) - set(EXERCISES))


@pytest.mark.parametrize("name", EXERCISES)
def test_no_hint_holds_a_line_of_the_solution(name):
    forbidden = _forbidden(_reference_lines(name))
    hints = {"registry hint": REGISTRY[name].hint}
    if name in REGIONS:
        forbidden |= _forbidden(REGIONS[name].code)
        hints["stub hint"] = _stub_hint(name)
    for kind, hint in hints.items():
        assert not _leaks(hint, forbidden), (name, kind, _leaks(hint, forbidden))


@pytest.mark.parametrize("name", EXERCISES)
def test_every_registry_hint_differs_from_the_stub_hint(name):
    registry = REGISTRY[name].hint
    assert registry.strip(), f"{name}: no registry hint"
    if name in REGIONS:
        stub = _stub_hint(name)
        assert stub.strip(), f"{name}: no stub hint"
        assert _squash(stub).lower() != _squash(registry).lower(), f"{name}: the registry hint repeats the stub hint"


@pytest.mark.parametrize("name", sorted(REGIONS))
def test_stub_hints_are_words_not_code(name):
    stub = _stub_hint(name)
    assert not LIBRARY_NAME.search(stub), (name, "a library function belongs in the registry hint", stub)
    assert not ASSIGNMENT.search(stub), (name, "an assignment in the stub hint", stub)


@pytest.mark.parametrize("name", sorted(REGIONS))
def test_longer_exercises_have_a_scaffold(name):
    region = REGIONS[name]
    if len(region.code) > 3:
        assert region.scaffold, f"{name}: {len(region.code)} lines of solution and no ### SCAFFOLD: lines"
    if region.scaffold:
        assert any("..." in line for line in region.scaffold), f"{name}: a scaffold leaves the work as ..."


@pytest.mark.parametrize("name", sorted(REGIONS))
def test_an_untouched_stub_raises_before_its_scaffold(name):
    region = REGIONS[name]
    stub = course.make_stub_source(region.cell)
    lines = stub.split("\n")
    raise_at = next(i for i, line in enumerate(lines) if line.strip().startswith("raise NotImplementedError("))
    indent = lines[raise_at][:len(lines[raise_at]) - len(lines[raise_at].lstrip())]
    expected = [indent + code.removeprefix(" ") if code.strip() else "" for code in region.scaffold]
    assert lines[raise_at + 1:raise_at + 1 + len(expected)] == expected, name
    # the stub function is valid Python, and calling it untouched raises NotImplementedError
    source = "\n".join(line for line in lines if not line.lstrip().startswith(("%", "!")))
    function = next(node for node in ast.walk(ast.parse(source))
                    if isinstance(node, ast.FunctionDef) and node.name == region.function)
    namespace = {}
    exec(compile(ast.Module(body=[function], type_ignores=[]), f"<stub of {name}>", "exec"), namespace)
    stub_function = namespace[region.function]
    required = [p for p in inspect.signature(stub_function).parameters.values() if p.default is p.empty]
    with pytest.raises(NotImplementedError, match="not attempted yet"):
        stub_function(*[None] * len(required))


SOLUTION = '''def resp_table(X, K):
    """A toy exercise with a hint and a scaffold."""
    ### BEGIN SOLUTION
    ### HINT: one column per component
    ### SCAFFOLD: resp = np.zeros((len(X), K))
    ### SCAFFOLD: for k in range(K):
    ### SCAFFOLD:     resp[:, k] = ...  # component k
    ### SCAFFOLD: return resp
    resp = np.zeros((len(X), K))
    for k in range(K):
        resp[:, k] = k
    return resp
    ### END SOLUTION'''


def test_make_stub_source_puts_the_scaffold_after_the_raise():
    import numpy as np
    stub = course.make_stub_source(SOLUTION)
    lines = stub.split("\n")
    assert lines[2:] == ["    # Hint: one column per component",
                         "    # YOUR CODE HERE (delete the raise below when you start)",
                         '    raise NotImplementedError("Exercise not attempted yet. Hint: one column per component")',
                         "    resp = np.zeros((len(X), K))",
                         "    for k in range(K):",
                         "        resp[:, k] = ...  # component k",
                         "    return resp"]
    namespace = {"np": np}
    exec(stub, namespace)
    with pytest.raises(NotImplementedError, match="not attempted yet. Hint: one column per component"):
        namespace["resp_table"](np.zeros(3), 2)
    compile(stub.replace(lines[4] + "\n", ""), "<stub without its raise>", "exec")   # the skeleton is Python
    # in the solution the scaffold lines are comments: it runs unchanged
    exec(SOLUTION, namespace)
    assert namespace["resp_table"](np.zeros(3), 2)[:, 1].tolist() == [1.0, 1.0, 1.0]


def test_a_stub_without_scaffold_is_unchanged():
    stub = course.make_stub_source("def f(x):\n    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION")
    assert stub == 'def f(x):\n    # YOUR CODE HERE\n    raise NotImplementedError("Exercise not attempted yet.")'
