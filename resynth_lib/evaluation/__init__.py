"""The evaluation: judges trained on ground-truth audio, and the paper's tables at small scale.

A resynthesis system is scored by what a listener would check: are the phones still there,
is it the right speaker, is the melody right, how many bits did it cost? The judges are
trained here on ground-truth audio only, so they are never the pipeline's own components.

* :mod:`~resynth_lib.evaluation.phone_recogniser` -- the CTC phone recogniser, the content
  judge (PER); notebook 07b;
* :mod:`~resynth_lib.evaluation.speaker_judge` -- the speaker classifier (accuracy, EER); notebook 07b;
* :mod:`~resynth_lib.evaluation.unit_recogniser` -- a phone recogniser that reads only unit ids
  (the units' ceiling); notebook 06c;
* :mod:`~resynth_lib.evaluation.vocoder_scores` -- a vocoder's F0 errors, speaker accuracy,
  log-mel distance and speed; notebook 06b;
* :mod:`~resynth_lib.evaluation.bitrate` -- bits per second of the codes: fixed-rate,
  entropy-coded, run-length; notebook 07;
* :mod:`~resynth_lib.evaluation.evaluate` -- Tables 1 and 2, F0 leakage and the goals
  (``resynth evaluate``); notebook 07b.
"""
