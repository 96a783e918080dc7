"""``python -m resynth_lib ...`` is the ``resynth`` command."""
import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
