"""The course's decoders behind one interface: codes (+ decoded F0) -> waveform.

* ``"acoustic+griffin-lim"`` -- the frame-rate acoustic model (notebook 06c) predicts
  log-mel and voicing; Griffin-Lim (:mod:`resynth_lib.decoder.griffin_lim`) recovers a phase.
  No trained waveform model at all.
* ``"acoustic+harmonic-noise"`` -- the same log-mel through the learnt source-filter
  stage (:mod:`resynth_lib.decoder.harmonic_noise`): harmonics of the decoded F0, gated by the
  predicted voicing, plus shaped noise.
* ``"hifigan"`` -- the paper's design: the HiFi-GAN generator on the codes (notebook 06,
  :mod:`resynth_lib.decoder.hifigan_train`).

:data:`DEFAULT_DECODER` is the one ``resynth decode`` uses: chosen by the evaluation
(``data/evaluation/``), not by taste. Every decoder works in chunks and has a ``stream(item)``
that yields the waveform part by part (what ``resynth decode`` writes to disk as it goes),
so memory stays flat for long inputs; calling it on an item returns the parts joined.

Taught in notebook 06c (``06c_frame_rate_decoder``) and used by :mod:`resynth_lib.pipeline.resynthesiser`.

Example
-------
>>> dec = load_decoder("acoustic+griffin-lim")
>>> item = {"units": np.zeros(20, int), "f0_codes": np.zeros(5, int), "speaker": 0, "f0_hz": np.full(80, 120.0)}
>>> dec(item).shape
(6400,)
"""
from __future__ import annotations

import itertools

import numpy as np

from resynth_lib.core.rates import HOP

DECODERS = ("acoustic+griffin-lim", "acoustic+harmonic-noise", "hifigan")
#: What ``resynth decode`` uses: on the test split it beat Griffin-Lim on FFE, STOI, ESTOI and PESQ, at a
#: slightly higher PER, and keeps pitch control exact (``data/evaluation/``, notebook 06d).
DEFAULT_DECODER = "acoustic+harmonic-noise"
GL_ITERATIONS = 32
GL_CHUNK = 500           #: Griffin-Lim runs on 10 s pieces (multiple of 4) ...
GL_OVERLAP = 8           #: ... overlapping by 8 frames (160 ms), cross-faded


def crossfade_stream(n_frames: int, synthesise_span, chunk: int, overlap: int):
    """Yield the ``320 n_frames`` samples made piece by piece, each part as soon as no later piece can change it.

    ``synthesise_span(lo, hi)`` gives the samples of frames ``lo..hi``. Pieces of ``chunk``
    frames are extended by ``overlap`` frames on each side (``lo`` and ``hi`` stay multiples of 4,
    the F0-code boundaries, except at the end) and cross-faded linearly where they overlap (the overlapped samples are divided by the sum of the fade weights); only
    the part not yet final is held, so memory depends on ``chunk``, not on the length, and
    the output can go to disk as it comes. Every decoder of notebook 06c runs through it.

    >>> parts = list(crossfade_stream(10, lambda lo, hi: np.ones(320 * (hi - lo), np.float32), chunk=4, overlap=1))
    >>> [len(p) // 320 for p in parts], float(np.concatenate(parts).min())
    ([3, 4, 3], 1.0)
    """
    fade = overlap * HOP
    base, out, weight = 0, np.zeros(0, np.float32), np.zeros(0, np.float32)   # samples base.. not yet final
    for start in range(0, n_frames, chunk):
        lo, hi = max(0, start - overlap), min(n_frames, start + chunk + overlap)
        piece = synthesise_span(lo, hi)
        w = np.ones(len(piece), np.float32)
        if lo > 0 and fade:
            w[:fade] = np.linspace(0, 1, fade, dtype=np.float32)
        if hi < n_frames and fade:
            w[-fade:] = np.linspace(1, 0, fade, dtype=np.float32)
        grow = hi * HOP - base - len(out)
        if grow > 0:
            out, weight = np.concatenate([out, np.zeros(grow, np.float32)]), np.concatenate([weight, np.zeros(grow, np.float32)])
        out[lo * HOP - base:hi * HOP - base] += w * piece
        weight[lo * HOP - base:hi * HOP - base] += w
        final = (max(0, start + chunk - overlap) if start + chunk < n_frames else n_frames) * HOP - base
        if final > 0:          # the next piece starts at frame start + chunk - overlap: all before it is final
            yield np.divide(out[:final], np.maximum(weight[:final], 1e-6))
            base, out, weight = base + final, out[final:].copy(), weight[final:].copy()


def crossfaded_chunks(n_frames: int, synthesise_span, chunk: int, overlap: int) -> np.ndarray:
    """:func:`crossfade_stream`'s pieces joined: ``320 n_frames`` samples as one array (notebook 06c).

    >>> crossfaded_chunks(10, lambda lo, hi: np.ones(320 * (hi - lo), np.float32), chunk=4, overlap=4).shape
    (3200,)
    """
    return np.concatenate(list(crossfade_stream(n_frames, synthesise_span, chunk, overlap)))


def griffin_lim_stream(mel: np.ndarray, n_iter: int = GL_ITERATIONS, chunk: int = GL_CHUNK, overlap: int = GL_OVERLAP):
    """Yield the waveform of ``mel (T, 80)`` (hop 320) part by part: Griffin-Lim on overlapping pieces, cross-faded.

    Each piece goes through :func:`resynth_lib.decoder.griffin_lim.mel_to_waveform` with
    ``n_iter`` rounds; pieces are ``chunk`` frames long and overlap by ``overlap`` frames
    (:func:`crossfade_stream`). The waveform stage of the ``"acoustic+griffin-lim"``
    decoder (notebook 06c); ``mel`` only has to support slices.

    >>> sum(len(p) for p in griffin_lim_stream(np.full((30, 80), -5.0), n_iter=2, chunk=12, overlap=4))
    9600
    """
    from resynth_lib.decoder.griffin_lim import mel_to_waveform
    T = len(mel)

    def span(lo, hi):                                  # T + 1 centred frames cover 320 T samples: the last is repeated
        frames = np.asarray(mel[lo:min(T, hi + 1)], np.float32)
        if hi == T:
            frames = np.concatenate([frames, frames[-1:]])
        return mel_to_waveform(frames.T, HOP, n_iter=n_iter, length=(hi - lo) * HOP)
    return crossfade_stream(T, span, chunk, overlap)


def griffin_lim_chunked(mel: np.ndarray, n_iter: int = GL_ITERATIONS, chunk: int = GL_CHUNK,
                        overlap: int = GL_OVERLAP) -> np.ndarray:
    """``mel (T, 80)`` at hop 320 -> waveform ``(320 T,)``: :func:`griffin_lim_stream`'s parts joined (notebook 06c).

    >>> griffin_lim_chunked(np.full((30, 80), -5.0), n_iter=2, chunk=12, overlap=4).shape
    (9600,)
    """
    return np.concatenate(list(griffin_lim_stream(mel, n_iter, chunk, overlap)))


class FrameRateDecoder:
    """Acoustic model (codes -> log-mel + voicing) then a waveform stage (``"griffin-lim"`` or ``"harmonic-noise"``).

    Call it on an item with ``units (T,)``, ``f0_codes``, ``speaker`` (index) and
    ``f0_hz (4T,)``; :meth:`mel` gives the intermediate log-mel and voicing. The shipped
    acoustic model is loaded on first use unless ``acoustic`` is given; ``stage_model``
    is the harmonic-noise stage (the shipped one by default). Taught in notebook 06c
    (``06c_frame_rate_decoder``).

    Example
    -------
    >>> dec = FrameRateDecoder("griffin-lim")
    >>> item = {"units": np.zeros(8, int), "f0_codes": np.zeros(2, int), "speaker": 1, "f0_hz": np.full(32, 150.0)}
    >>> mel, voiced = dec.mel(item)
    >>> mel.shape, voiced.shape
    ((8, 80), (32,))
    """

    def __init__(self, stage: str = "griffin-lim", acoustic=None, stage_model=None):
        if stage not in ("griffin-lim", "harmonic-noise"):
            raise ValueError(f"unknown waveform stage {stage!r}; choose griffin-lim or harmonic-noise")
        self.stage = stage
        self._acoustic = acoustic
        if stage == "harmonic-noise" and stage_model is None:
            from resynth_lib.decoder.harmonic_noise import load_harmonic_noise
            stage_model = load_harmonic_noise()
        self.stage_model = stage_model

    @property
    def acoustic(self):
        """The acoustic model, loaded on first use (:meth:`waveform` alone does not need it)."""
        if self._acoustic is None:
            from resynth_lib.decoder.acoustic import load_acoustic_model
            self._acoustic = load_acoustic_model()
        return self._acoustic

    def mel(self, item: dict) -> tuple[np.ndarray, np.ndarray]:
        """``(log-mel (T, 80), voiced probability (4T,))`` predicted from the item's codes."""
        from resynth_lib.decoder.acoustic import predict
        return predict(self.acoustic, item["units"], item["f0_codes"], int(item["speaker"]), item["f0_hz"])

    @property
    def n_units(self) -> int:
        """The size of the unit codebook the acoustic model reads (the pipeline picks its quantiser by it)."""
        return int(self.acoustic.config["n_units"])

    def waveform_stream(self, mel: np.ndarray, f0_hz=None, voiced=None):
        """The waveform stage alone, part by part: log-mel ``(T, 80)`` (and, for harmonic-noise, F0 and voicing)."""
        if self.stage == "griffin-lim":
            return griffin_lim_stream(mel)
        from resynth_lib.decoder.harmonic_noise import synthesise_stream
        return synthesise_stream(self.stage_model, mel, f0_hz, voiced)

    def waveform(self, mel: np.ndarray, f0_hz=None, voiced=None) -> np.ndarray:
        """The waveform stage alone: log-mel ``(T, 80)`` (and, for harmonic-noise, F0 and voicing at 5 ms)."""
        return np.concatenate(list(self.waveform_stream(mel, f0_hz, voiced)))

    def stream(self, item: dict):
        """The item's waveform part by part, each part final when yielded (``resynth decode`` writes them).

        The acoustic model's chunks (:func:`~resynth_lib.decoder.acoustic.predict_stream`) reach
        the waveform stage through :class:`~resynth_lib.core.streaming.RowQueue`, so neither the
        log-mel nor the waveform of a long file is ever held whole; the parts are the same
        numbers :meth:`waveform` gives on the whole :meth:`mel`.
        """
        from resynth_lib.core.streaming import RowQueue
        from resynth_lib.decoder.acoustic import predict_stream
        T = len(item["units"])
        chunks = predict_stream(self.acoustic, item["units"], item["f0_codes"], int(item["speaker"]), item["f0_hz"])
        if self.stage == "griffin-lim":                # voicing unused: do not keep it
            yield from griffin_lim_stream(RowQueue((mel for mel, _ in chunks), T))
            return
        for_mel, for_voicing = itertools.tee(chunks)
        mel = RowQueue((m for m, _ in for_mel), T)
        voiced = RowQueue(((v > 0.5).astype(np.float32) for _, v in for_voicing), 4 * T)
        yield from self.waveform_stream(mel, item["f0_hz"], voiced)

    def __call__(self, item: dict) -> np.ndarray:
        return np.concatenate(list(self.stream(item)))


class HiFiGANDecoder:
    """The paper's design: HiFi-GAN on the codes (``data/checkpoints/vocoder.pt`` by default).

    Long inputs are decoded in pieces of ``chunk`` frames overlapping by ``overlap``
    frames; the harmonic source of each piece starts at the phase the whole contour has
    reached there (:func:`resynth_lib.decoder.hifigan.source_phase_at`), so overlapping
    pieces agree and the cross-fade leaves no click. The vocoder is trained in notebook 06 and compared with the frame-rate decoder
    in notebook 06c.

    >>> HiFiGANDecoder().vocoder.config["source"]
    True
    """

    def __init__(self, path=None, chunk: int = 500, overlap: int = 32):
        from resynth_lib.decoder.hifigan import load_vocoder
        self.vocoder = load_vocoder(path)
        self.chunk, self.overlap = chunk, overlap          # overlap: beyond the generator's 28-frame receptive field

    @property
    def n_units(self) -> int:
        """The size of the unit codebook the vocoder was trained on."""
        return int(self.vocoder.config["n_units"])

    def stream(self, item: dict):
        """The item's waveform part by part, each part final when yielded (:func:`crossfade_stream`)."""
        from resynth_lib.decoder.hifigan import source_phase_at, synthesise
        f0_hz = np.asarray(item["f0_hz"])

        def span(lo, hi):                               # the harmonic source continues where the last piece was
            piece = {"units": item["units"][lo:hi], "f0_codes": item["f0_codes"][lo // 4:-(-hi // 4)],
                     "speaker": item["speaker"], "f0_hz": f0_hz[4 * lo:4 * hi], "phase0": source_phase_at(f0_hz, 4 * lo)}
            return synthesise(self.vocoder, piece)
        return crossfade_stream(len(item["units"]), span, self.chunk, self.overlap)

    def __call__(self, item: dict) -> np.ndarray:
        return np.concatenate(list(self.stream(item)))


def load_decoder(name: str = DEFAULT_DECODER, vocoder_path=None):
    """A decoder by name (one of :data:`DECODERS`); ``vocoder_path`` picks the HiFi-GAN checkpoint.

    Every decoder is called on an item (``units``, ``f0_codes``, ``speaker``, ``f0_hz``)
    and returns a waveform. Taught in notebook 06c (``06c_frame_rate_decoder``).

    >>> type(load_decoder("hifigan")).__name__
    'HiFiGANDecoder'
    """
    if name == "hifigan":
        return HiFiGANDecoder(vocoder_path)
    if name.startswith("acoustic+"):
        return FrameRateDecoder(name.split("+", 1)[1])
    raise ValueError(f"unknown decoder {name!r}; choose one of {', '.join(DECODERS)}")


__all__ = ["DECODERS", "DEFAULT_DECODER", "crossfade_stream", "crossfaded_chunks", "griffin_lim_stream",
           "griffin_lim_chunked", "FrameRateDecoder", "HiFiGANDecoder", "load_decoder"]
