"""The ``resynth`` command line: one entry point for the course's data, training, codec and evaluation.

* :mod:`~resynth_lib.cli.main` -- ``resynth``: the table of commands and the dispatcher;
  notebook 00;
* :mod:`~resynth_lib.cli.pipeline_commands` -- ``resynth encode | decode | convert | demo |
  speaker-centroids``: the codec on the command line; notebook 07.
"""
