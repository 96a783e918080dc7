"""The content stream: self-supervised speech models, probes, k-means and discrete units.

* :mod:`resynth_lib.content.ssl_models` -- the CPC-style and HuBERT-style models, their
  building blocks and the content layer (notebook 02b, ``02b_self_supervised_speech``).
* :mod:`resynth_lib.content.ssl_train` -- HuBERT's MFCC k-means targets, the training loop
  and ``resynth train ssl`` (notebook 02b, ``02b_self_supervised_speech``).
* :mod:`resynth_lib.content.probe` -- linear probes for phone and speaker, and the choice of
  layer (notebook 02b, ``02b_self_supervised_speech``).
* :mod:`resynth_lib.content.kmeans` -- k-means++ seeding, Lloyd's algorithm and mini-batch
  k-means (notebook 03, ``03_discrete_units_kmeans``).
* :mod:`resynth_lib.content.units` -- the unit quantiser: waveform in, unit sequence out
  (notebook 03, ``03_discrete_units_kmeans``).
* :mod:`resynth_lib.content.unit_metrics` -- purity, PNMI and bitrate of units
  (notebook 03b, ``03b_unit_quality``), de-duplication (notebook 03);
* :mod:`resynth_lib.content.abx` -- ABX discriminability within and across speakers
  (notebook 03b, ``03b_unit_quality``).
"""
