"""The course's speech data: the shipped corpus, how it was built, and features on the 50 Hz grid.

* :mod:`resynth_lib.data.corpus` -- utterance records, phone alignments, frame labels and
  :func:`~resynth_lib.data.corpus.load_corpus` (notebook 00, ``00_audio_and_data``).
* :mod:`resynth_lib.data.sentences` -- the project's own sentence grammar (notebook 00,
  ``00_audio_and_data``).
* :mod:`resynth_lib.data.phonetic_coverage` -- the phones of a sentence as ``flite`` says them and
  the greedy selection for phone and diphone coverage (notebook 00, ``00_audio_and_data``).
* :mod:`resynth_lib.data.corpus_build` -- four flite voices reading those sentences: how
  ``data/corpus`` was made (notebook 00, ``00_audio_and_data``).
* :mod:`resynth_lib.data.real_corpora` -- LJSpeech and VCTK loaders giving the same records
  (notebook 00, ``00_audio_and_data``).
* :mod:`resynth_lib.data.frames` -- MFCC, log-mel and self-supervised model input, frame by
  frame with phone and speaker labels (notebook 02b, ``02b_self_supervised_speech``).
"""
