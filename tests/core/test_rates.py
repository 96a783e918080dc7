"""One module of rates: consistent, and no other module declares its own copy."""
import ast
from pathlib import Path

import resynth_lib
from resynth_lib.core import rates

LIB = Path(resynth_lib.__file__).parent
SHARED = {"SAMPLE_RATE", "UNIT_RATE", "HOP", "F0_RATE", "F0_HOP", "F0_FRAMES_PER_UNIT", "F0_FRAMES_PER_CODE",
          "F0_CODE_RATE", "UNITS_PER_F0_CODE", "N_F0_CODES", "FRAME_RATE", "F0_PER_UNIT", "F0_HOP_SAMPLES",
          "CODE_RATE", "DOWNSAMPLE"}


def test_the_three_clocks_agree():
    assert rates.HOP * rates.UNIT_RATE == rates.SAMPLE_RATE
    assert rates.F0_HOP * rates.F0_RATE == rates.SAMPLE_RATE
    assert rates.UNITS_PER_F0_CODE * rates.F0_FRAMES_PER_UNIT == rates.F0_FRAMES_PER_CODE
    assert rates.F0_CODE_RATE * rates.UNITS_PER_F0_CODE == rates.UNIT_RATE


def test_no_module_assigns_a_rate_of_its_own():
    offenders = []
    for path in LIB.rglob("*.py"):
        if path.name == "rates.py":
            continue
        for node in ast.parse(path.read_text()).body:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
            for t in targets:
                if isinstance(t, ast.Name) and t.id in SHARED:
                    offenders.append(f"{path.relative_to(LIB)}: {t.id}")
    assert not offenders, f"import these from resynth_lib.core.rates instead: {offenders}"
