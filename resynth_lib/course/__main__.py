"""``python -m resynth_lib.course build | check | strip``: the notebook build (:mod:`resynth_lib.course.build`).

Runs :func:`resynth_lib.course.build.main` on the command-line arguments. Taught in
notebook 00 (``00_audio_and_data``), "how exercises work".
"""
import sys

from resynth_lib.course.build import main

if __name__ == "__main__":
    sys.exit(main())
