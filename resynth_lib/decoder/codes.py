"""The three code streams of one utterance, and the F0 contour the F0 codes decode to.

Every decoder reads the same input: content units at 50 Hz (the quantiser of notebook
03), F0 codes at 12.5 Hz (the F0 VQ-VAE of notebook 04) and a speaker. This module
makes that input from a waveform:

* :func:`utterance_codes` -- units, F0 codes, the decoded F0 contour, the tracker's own
  contour and the waveform cut to whole frames: one training or test item;
* :func:`f0_codes_for` -- the F0 codes of a tracker contour;
* :func:`decoded_f0` -- F0 codes back to a contour in Hz in a chosen speaker's range,
  which the harmonic source, the acoustic model and pitch control all use.

The vocoder's training data (:mod:`resynth_lib.decoder.hifigan_train`), the acoustic
model's (:mod:`resynth_lib.decoder.acoustic_train`) and the pipeline's ``encode`` and
``decode`` (:mod:`resynth_lib.pipeline.resynthesiser`) are all built on it.
Taught in notebook 06 (``06_hifigan_vocoder``).
"""
from __future__ import annotations

import numpy as np

from resynth_lib.core.rates import F0_FRAMES_PER_UNIT, HOP, UNITS_PER_F0_CODE
from resynth_lib.data.frames import num_frames


def utterance_codes(wav, speaker: str, quantiser, f0_model, f0_stats: dict, *, units=None, f0_track=None) -> dict:
    """Units ``(T,)``, F0 codes ``(ceil(T / 4),)``, decoded F0 ``(4 T,)``, the waveform cut to ``320 T`` samples
    and the tracker's own contour ``f0_track`` (5 ms; 0 = unvoiced: the voicing the acoustic model learns).

    ``f0_hz`` is what the *codes* say the pitch is (:func:`decoded_f0`), not the tracker's
    contour: it drives the optional harmonic source, which must see at training time
    exactly what it will see when decoding codes.

    ``quantiser`` is a :class:`resynth_lib.content.units.UnitQuantiser`; ``f0_model`` and
    ``f0_stats`` come from :func:`resynth_lib.pitch.f0_vqvae.load_f0_vqvae` and
    :func:`resynth_lib.pitch.normalise.load_f0_stats`. ``units`` and ``f0_track``, when given,
    are the quantiser's units and the tracker's contour computed already (the pipeline
    computes them piece by piece for long files). Taught in notebook 06.

    Example
    -------
    >>> from resynth_lib.core.config import CHECKPOINT_DIR
    >>> from resynth_lib.content.units import load_quantiser
    >>> from resynth_lib.data.corpus import load_corpus
    >>> from resynth_lib.pitch.f0_vqvae import load_f0_vqvae
    >>> from resynth_lib.pitch.normalise import load_f0_stats
    >>> utt = load_corpus().utterances(split="valid")[0]
    >>> item = utterance_codes(utt.waveform()[:16000], utt.speaker, load_quantiser(source="ssl"),
    ...                        load_f0_vqvae(), load_f0_stats(CHECKPOINT_DIR.parent / "f0_stats.json"))
    >>> {k: v.shape for k, v in item.items()}      # 1 s: 50 units, 13 F0 codes, 200 F0 frames
    {'wav': (16000,), 'units': (50,), 'f0_codes': (13,), 'f0_hz': (200,), 'f0_track': (200,)}
    """
    from resynth_lib.pitch.yin import track_f0
    T = num_frames(wav)
    units = (quantiser.units(wav) if units is None else np.asarray(units))[:T]
    f0 = (track_f0(wav) if f0_track is None else np.asarray(f0_track))[:F0_FRAMES_PER_UNIT * T]   # 4 per unit frame
    codes = f0_codes_for(f0, T, f0_model, f0_stats, speaker)
    return {"wav": np.asarray(wav[:T * HOP], dtype=np.float32), "units": units.astype(np.int64),
            "f0_codes": codes.astype(np.int64), "f0_hz": decoded_f0(f0_model, codes, f0_stats, speaker, T),
            "f0_track": np.asarray(f0, np.float32)}


def f0_codes_for(f0_track, n_frames: int, f0_model, f0_stats: dict, speaker: str) -> np.ndarray:
    """The F0 codes ``(ceil(n_frames / 4),)`` of a tracker contour (5 ms) covering ``n_frames`` unit frames.

    The contour is normalised with ``speaker``'s statistics and quantised (notebook 04b's
    VQ-VAE); the codes are cut or edge-padded to one per four unit frames. What
    :func:`utterance_codes` and ``resynth encode`` send as the pitch stream; needs only the
    contour, not the waveform. Taught in notebook 06.

    Example
    -------
    >>> from resynth_lib.core.config import CHECKPOINT_DIR
    >>> from resynth_lib.pitch.f0_vqvae import load_f0_vqvae
    >>> from resynth_lib.pitch.normalise import load_f0_stats
    >>> stats = load_f0_stats(CHECKPOINT_DIR.parent / "f0_stats.json")
    >>> f0_codes_for(np.full(200, 120.0), 50, load_f0_vqvae(), stats, "awb").shape      # 1 s: 13 codes
    (13,)
    """
    from resynth_lib.pitch.f0_vqvae import quantise_contour
    f0 = np.asarray(f0_track)[:F0_FRAMES_PER_UNIT * n_frames]
    codes = quantise_contour(f0_model, f0, f0_stats, speaker)
    n_codes = -(-n_frames // UNITS_PER_F0_CODE)
    return np.concatenate([codes, np.repeat(codes[-1:], max(0, n_codes - len(codes)))])[:n_codes].astype(np.int64)


def decoded_f0(f0_model, f0_codes, f0_stats: dict, speaker: str, n_frames: int) -> np.ndarray:
    """F0 codes -> a continuous F0 contour in Hz, ``(4 n_frames,)`` at 5 ms, in ``speaker``'s range.

    The VQ-VAE decoder (notebook 04) is asked for every frame (voicing is left to the
    units), then de-normalised with ``speaker``'s statistics -- pass another speaker to
    move the melody into their range (voice conversion). Taught in notebook 06.

    Example
    -------
    >>> from resynth_lib.core.config import CHECKPOINT_DIR
    >>> from resynth_lib.pitch.f0_vqvae import load_f0_vqvae
    >>> from resynth_lib.pitch.normalise import load_f0_stats
    >>> model, stats = load_f0_vqvae(), load_f0_stats(CHECKPOINT_DIR.parent / "f0_stats.json")
    >>> codes = np.array([3, 3])                   # 2 F0 codes cover 8 unit frames
    >>> awb, slt = (decoded_f0(model, codes, stats, s, 8) for s in ("awb", "slt"))
    >>> awb.shape, bool(slt.mean() > awb.mean())   # the same codes sit higher in slt's range
    ((32,), True)
    """
    from resynth_lib.pitch.f0_vqvae import decode_to_hz
    return decode_to_hz(f0_model, f0_codes, np.ones(F0_FRAMES_PER_UNIT * n_frames, bool), f0_stats,
                        speaker).astype(np.float32)
