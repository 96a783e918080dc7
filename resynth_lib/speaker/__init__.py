"""The speaker stream: who is speaking, as a table row or a d-vector, and how well it is told apart.

* :mod:`resynth_lib.speaker.dvector` -- the speaker lookup table and the d-vector encoder,
  with its checkpoint (notebook 05, ``05_speaker_identity``).
* :mod:`resynth_lib.speaker.verification` -- the GE2E loss, verification trials and the
  equal error rate (notebook 05, ``05_speaker_identity``).
* :mod:`resynth_lib.speaker.dvector_train` -- training the encoder and
  ``resynth train dvector`` (notebook 05, ``05_speaker_identity``).
* :mod:`resynth_lib.speaker.classifier` -- nearest-centroid speaker identification on
  d-vectors (notebook 05, ``05_speaker_identity``; used in notebooks 06 and 07).
"""
