"""``python -m resynth_lib ...`` is the ``resynth`` command."""
import sys

from .cli import main

sys.exit(main())
