"""The whole system in one place: encode speech into codes, decode codes into speech.

Modules:

* :mod:`~resynth_lib.pipeline.resynthesiser` -- the shipped models together: resynthesis, voice
  conversion, pitch control and the codes file a codec would transmit, with checks of the
  shipped checkpoints (notebook 07, ``07_resynthesis_conversion_codec``).
"""
