"""The library's stages import one way: a lower stage never imports a higher one.

``core <- data <- concepts <- content <- pitch <- speaker <- decoder <- pipeline <- evaluation
<- course <- cli``: a module may import its own package and any package to its left, never
one to its right, not even inside a function. Docstring examples are free to show any
import. See the table in :mod:`resynth_lib`.
"""
import ast
from pathlib import Path

import pytest

import resynth_lib

LIB = Path(resynth_lib.__file__).parent
LAYERS = ["core", "data", "concepts", "content", "pitch", "speaker", "decoder", "pipeline", "evaluation",
          "course", "cli"]


def imported_packages(path: Path) -> set[str]:
    """The resynth_lib sub-packages ``path`` imports, anywhere in its code."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level:
            raise AssertionError(f"{path}: use absolute imports (resynth_lib.stage.module)")
        for name in names:
            parts = name.split(".")
            if parts[0] == "resynth_lib" and len(parts) > 1 and parts[1] in LAYERS:
                found.add(parts[1])
    return found


MODULES = sorted(p for p in LIB.rglob("*.py") if p.parent != LIB)


def test_every_module_sits_in_a_known_stage():
    stages = {p.relative_to(LIB).parts[0] for p in MODULES}
    assert stages == set(LAYERS), f"packages not placed in LAYERS: {stages ^ set(LAYERS)}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(LIB)))
def test_no_lower_stage_imports_a_higher_one(path):
    own = LAYERS.index(path.relative_to(LIB).parts[0])
    higher = sorted(p for p in imported_packages(path) if LAYERS.index(p) > own)
    assert not higher, f"{path.relative_to(LIB)} ({LAYERS[own]}) imports higher stage(s) {higher}"


def test_the_checker_catches_an_upward_import(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from resynth_lib.pipeline.resynthesiser import Codes\n")
    assert imported_packages(bad) == {"pipeline"}


def test_importing_the_package_loads_no_torch():
    import subprocess
    import sys
    code = "import resynth_lib, sys; resynth_lib.check; assert 'torch' not in sys.modules, 'torch loaded'"
    subprocess.run([sys.executable, "-c", code], check=True)
