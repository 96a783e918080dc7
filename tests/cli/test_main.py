"""The `resynth` command: one dispatch table, every row resolves, help loads no torch."""
import subprocess
import sys

import pytest

from resynth_lib.cli.main import COMMANDS, main, resolve


@pytest.mark.parametrize("words", [w for w, _, _ in COMMANDS], ids=" ".join)
def test_every_command_resolves_to_a_function(words):
    assert callable(resolve(words))


def test_the_command_words_the_course_documents_are_all_there():
    words = {" ".join(w) for w, _, _ in COMMANDS}
    assert {"encode", "decode", "convert", "demo", "evaluate", "train acoustic", "train vocoder", "train f0vq",
            "corpus verify", "course build", "f0-stats", "probe-layers"} <= words


def test_help_imports_no_torch_and_lists_every_top_level_command():
    code = ("import sys\nfrom resynth_lib.cli.main import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n"
            "    pass\nassert 'torch' not in sys.modules, 'torch was imported'\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    for first in {w[0] for w, _, _ in COMMANDS}:
        assert first in out


def test_unknown_words_are_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["train", "nonsense"])
    assert exc.value.code == 2


def test_corpus_stats_runs_through_the_table(capsys):
    assert main(["corpus", "stats"]) == 0
    assert "minutes_total" in capsys.readouterr().out
