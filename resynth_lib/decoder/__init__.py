"""Decoders: the three code streams (content units, F0 codes, speaker) back to a waveform.

The paper decodes with a HiFi-GAN vocoder (notebook 06); the course adds a frame-rate
decoder that first predicts a log-mel spectrogram and then turns it into audio
(notebooks 06c and 06d). Modules:

* :mod:`~resynth_lib.decoder.codes` -- one utterance's codes and the F0 contour they decode to (notebook 06);
* :mod:`~resynth_lib.decoder.hifigan` -- the HiFi-GAN conditioner, generator, harmonic source and the
  :class:`~resynth_lib.decoder.hifigan.Vocoder` wrapper (notebook 06);
* :mod:`~resynth_lib.decoder.hifigan_losses` -- HiFi-GAN's discriminators (notebook 06) and training losses (06b);
* :mod:`~resynth_lib.decoder.hifigan_train` -- training the vocoder, ``resynth train vocoder`` (notebook 06b);
* :mod:`~resynth_lib.decoder.acoustic` -- the frame-rate acoustic model: codes to log-mel and voicing (notebook 06c);
* :mod:`~resynth_lib.decoder.acoustic_train` -- training it, ``resynth train acoustic`` (notebook 06c);
* :mod:`~resynth_lib.decoder.griffin_lim` -- Griffin-Lim phase retrieval: log-mel to waveform, no training (notebook 06c);
* :mod:`~resynth_lib.decoder.harmonic_noise` -- a learnt harmonic-plus-noise waveform stage (notebook 06d);
* :mod:`~resynth_lib.decoder.decoders` -- every decoder behind one interface, chosen by name (notebooks 06c, 06d).
"""
