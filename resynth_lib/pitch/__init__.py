"""The pitch stream: F0 tracking, its errors, speaker normalisation and the F0 VQ-VAE.

* :mod:`resynth_lib.pitch.yin` -- YIN from scratch and the course's F0 tracker
  (notebook 04, ``04_pitch_tracking``).
* :mod:`resynth_lib.pitch.test_signals` -- signals whose F0 is known exactly, the ground
  truth for trackers (notebook 04, ``04_pitch_tracking``).
* :mod:`resynth_lib.pitch.f0_metrics` -- VDE, GPE and FFE of an F0 track
  (notebook 04, ``04_pitch_tracking``).
* :mod:`resynth_lib.pitch.normalise` -- per-speaker F0 statistics and normalisation
  (notebook 04, ``04_pitch_tracking``).
* :mod:`resynth_lib.pitch.codebook` -- vector quantisation with an EMA codebook
  (notebook 04b, ``04b_f0_vqvae``).
* :mod:`resynth_lib.pitch.f0_vqvae` -- the F0 VQ-VAE: F0 contour to 20 codes at 12.5 Hz and
  back (notebook 04b, ``04b_f0_vqvae``).
* :mod:`resynth_lib.pitch.f0_vqvae_train` -- its data, training, evaluation and
  ``resynth train f0vq`` (notebook 04b, ``04b_f0_vqvae``).
* :mod:`resynth_lib.pitch.lpc_vocoder` -- a small source-filter vocoder to hear an F0 contour
  (notebook 04b, ``04b_f0_vqvae``).
"""
