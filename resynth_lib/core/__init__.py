"""Core tools that every part of the course shares: audio, settings, figures and bit counts.

* :mod:`resynth_lib.core.audio` -- loading, saving, framing, STFT, mel filterbanks, log-mel
  and MFCC (notebook 00, ``00_audio_and_data``).
* :mod:`resynth_lib.core.config` -- fast or full mode, seeds, paths and checkpoint files
  (notebook 00, ``00_audio_and_data``, then every notebook).
* :mod:`resynth_lib.core.plots` -- the pipeline diagram, spectrogram and waveform figures
  (notebook 00, ``00_audio_and_data``, then every notebook).
* :mod:`resynth_lib.core.bits` -- bits per second of a stream of discrete codes
  (notebook 04, ``04_pitch_and_f0_vqvae``).
"""
