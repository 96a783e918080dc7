"""``python -m resynth_lib.course build | check | strip``: the notebook build (:mod:`resynth_lib.course.build`)."""
import sys

from resynth_lib.course.build import main

if __name__ == "__main__":
    sys.exit(main())
