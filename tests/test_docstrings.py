"""Every public class's docstring example runs (SpeechBrain style): doctest each module."""
import doctest
import importlib
import pkgutil
import shutil

import pytest

import resynth_lib

MODULES = sorted(m.name for m in pkgutil.iter_modules(resynth_lib.__path__, "resynth_lib."))
#: Their examples call the `flite` program, which only building the corpus needs.
NEEDS_FLITE = {"resynth_lib.sentences", "resynth_lib.corpus_build"}


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    if name in NEEDS_FLITE and shutil.which("flite") is None:
        pytest.skip("needs the flite program (apt-get install flite)")
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {name}"
