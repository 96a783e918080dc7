"""Every public class's docstring example runs (SpeechBrain style): doctest each module."""
import doctest
import importlib
import pkgutil
import shutil

import pytest

import resynth_lib

MODULES = sorted(m.name for m in pkgutil.walk_packages(resynth_lib.__path__, "resynth_lib.")
                 if not m.name.endswith("__main__"))
#: Their examples call the `flite` program, which only building the corpus needs.
NEEDS_FLITE = {"resynth_lib.data.sentences", "resynth_lib.data.phonetic_coverage", "resynth_lib.data.corpus_build"}


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    if name in NEEDS_FLITE and shutil.which("flite") is None:
        pytest.skip("needs the flite program (apt-get install flite)")
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {name}"


# ----------------------------------------------------------------- every public definition: notebook + example
import ast  # noqa: E402
import re  # noqa: E402
from pathlib import Path  # noqa: E402

LIB = Path(resynth_lib.__file__).parent
#: "notebook 04", "notebooks 06 and 06c", "(06c)" or a notebook's file name such as "04_pitch_tracking"
NOTEBOOK = re.compile(r"\bnotebooks? 0[0-7][a-z]?\b|\(0[0-7][a-z]?\)|\b0[0-7][a-z]?_[a-z0-9_]+")


def public_definitions():
    """(module file, name, docstring) of every public module-level function and class."""
    for path in sorted(LIB.rglob("*.py")):
        if path.name == "__main__.py":
            continue
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and not node.name.startswith("_"):
                yield path.relative_to(LIB.parent), node.name, ast.get_docstring(node) or ""


def test_every_public_definition_names_its_notebook():
    missing = [f"{path}:{name}" for path, name, doc in public_definitions() if not NOTEBOOK.search(doc)]
    assert not missing, f"{len(missing)} public definitions do not name their notebook: {missing}"


def test_every_public_definition_has_an_example():
    missing = [f"{path}:{name}" for path, name, doc in public_definitions() if ">>>" not in doc]
    assert not missing, f"{len(missing)} public definitions have no example: {missing}"


def test_every_module_names_its_notebook():
    missing = [str(p.relative_to(LIB.parent)) for p in sorted(LIB.rglob("*.py"))
               if not NOTEBOOK.search(ast.get_docstring(ast.parse(p.read_text())) or "")]
    assert not missing, f"modules whose docstring names no notebook: {missing}"
