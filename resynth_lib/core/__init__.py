"""Core tools that every part of the course shares: rates, audio, settings, checkpoints, training, figures.

* :mod:`resynth_lib.core.rates` -- the sample, frame and code rates every stage shares
  (notebook 00, ``00_audio_and_data``).
* :mod:`resynth_lib.core.audio` -- loading, saving, framing, STFT, mel filterbanks, log-mel
  and MFCC (notebook 00, ``00_audio_and_data``).
* :mod:`resynth_lib.core.config` -- fast or full mode, seeds, paths and machine information
  (notebook 00, ``00_audio_and_data``, then every notebook).
* :mod:`resynth_lib.core.checkpoints` -- the one checkpoint format of every shipped model
  (notebook 00, ``00_audio_and_data``).
* :mod:`resynth_lib.core.training` -- the training loop with progress, logging and resume
  files (notebook 02b, ``02b_self_supervised_speech``).
* :mod:`resynth_lib.core.plots` -- the pipeline diagram, spectrogram and waveform figures
  (notebook 00, ``00_audio_and_data``, then every notebook).
* :mod:`resynth_lib.core.bits` -- bits per second of a stream of discrete codes
  (notebook 04b, ``04b_f0_vqvae``).
* :mod:`resynth_lib.core.chunking` and :mod:`resynth_lib.core.streaming` -- long files
  analysed in overlapping pieces, read from and written to disk piece by piece
  (notebook 07, ``07_resynthesis_conversion_codec``).
"""
