"""``python -m resynth_lib ...`` is the ``resynth`` command (:mod:`resynth_lib.cli.main`; notebook 00)."""
import sys

from resynth_lib.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
