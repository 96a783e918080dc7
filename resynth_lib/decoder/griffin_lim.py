"""Phase retrieval: a waveform from a (log-)mel spectrogram with no training at all.

A log-mel spectrogram keeps the magnitude of each band and throws the phase away. To
hear it we need *a* phase that makes the magnitudes consistent, i.e. a signal whose
STFT has those magnitudes. Griffin and Lim (1984) alternate two projections:

1. keep the phase of the current estimate, impose the target magnitude: ``X = |S| e^{i angle(Y)}``;
2. go to the time domain and back (``Y = STFT(iSTFT(X))``): the nearest *consistent* STFT.

Each round cannot increase the distance between ``|Y|`` and ``|S|``. The "fast" variant
(Perraudin, Balazs and Sondergaard, 2013) adds momentum: step 1 is applied to
``Y_t + alpha (Y_t - Y_{t-1})``, which converges in far fewer rounds.

* :func:`mel_to_magnitude` -- 80 mel bands back to 513 linear-frequency bins (the
  non-negative least-squares inverse of the filterbank, solved by projected gradient);
* :func:`gl_round` -- one round: impose the magnitude, iSTFT, STFT;
* :func:`griffin_lim` -- the rounds, with momentum, on a linear magnitude;
* :func:`mel_to_waveform` -- both, from the course's log-mel (natural log) to audio;
* :func:`spectral_convergence` -- ``||S| - |STFT(x)||_F / ||S||_F``: how consistent a result is.

Taught in notebook 06c (``06c_frame_rate_decoder``), where students write one Griffin-Lim
round themselves; ``librosa.griffinlim`` is the reference it is compared with.

Example
-------
>>> t = np.arange(8000) / 16000
>>> wav = (0.3 * np.sin(2 * np.pi * 200 * t)).astype(np.float32)
>>> mag = stft_mag(wav, hop=160)
>>> out = griffin_lim(mag, hop=160, n_iter=16, length=len(wav))
>>> out.shape, spectral_convergence(mag, out, hop=160) < 0.2
((8000,), True)
"""
from __future__ import annotations

import numpy as np
import torch

from resynth_lib.core.audio import F_MAX, F_MIN, N_FFT, WIN_LENGTH, mel_filterbank
from resynth_lib.core.rates import SAMPLE_RATE

#: Momentum of the fast Griffin-Lim update (Perraudin et al. 2013 recommend 0.99).
MOMENTUM = 0.99


def _window(win_length: int, dtype=torch.float64) -> torch.Tensor:
    return torch.hann_window(win_length, dtype=dtype)


def stft(x: torch.Tensor, hop: int, n_fft: int = N_FFT, win_length: int = WIN_LENGTH) -> torch.Tensor:
    """Complex STFT (Hann window, centred frames, reflect padding) of a torch tensor, in its precision.

    Returns ``(n_fft // 2 + 1, 1 + len(x) // hop)``; the projection in every Griffin-Lim
    round of notebook 06c.

    >>> stft(torch.zeros(1600, dtype=torch.float64), hop=160).shape
    torch.Size([513, 11])
    """
    return torch.stft(x, n_fft, hop, win_length, _window(win_length, x.dtype), center=True, pad_mode="reflect",
                      return_complex=True)


def istft(spec: torch.Tensor, hop: int, length: int, n_fft: int = N_FFT, win_length: int = WIN_LENGTH):
    """Inverse of :func:`stft` (overlap-add with the same window), cut to ``length`` samples.

    A consistent spectrogram comes back exactly; any other is turned into the signal
    whose STFT is nearest to it, which is what Griffin-Lim relies on (notebook 06c).

    >>> x = torch.randn(1600, dtype=torch.float64)
    >>> bool(torch.allclose(istft(stft(x, hop=160), hop=160, length=1600), x))
    True
    """
    real = torch.float32 if spec.dtype == torch.complex64 else torch.float64
    return torch.istft(spec, n_fft, hop, win_length, _window(win_length, real), center=True, length=length)


def stft_mag(wav, hop: int, n_fft: int = N_FFT, win_length: int = WIN_LENGTH) -> np.ndarray:
    """``|STFT|`` of a waveform, ``(n_fft // 2 + 1, 1 + len(wav) // hop)``, Hann window, centred frames.

    NumPy in, NumPy out (computed in double precision): the target magnitudes of the
    Griffin-Lim experiments in notebook 06c.

    >>> stft_mag(np.zeros(1600, np.float32), hop=160).shape
    (513, 11)
    """
    return stft(torch.as_tensor(np.asarray(wav, np.float64)), hop, n_fft, win_length).abs().numpy()


def mel_to_magnitude(log_mel_spec, n_fft: int = N_FFT, sample_rate: int = SAMPLE_RATE, fmin: float = F_MIN,
                     fmax: float = F_MAX, n_iter: int = 60) -> np.ndarray:
    """Natural-log mel ``(n_mels, frames)`` -> non-negative linear magnitude ``(n_fft // 2 + 1, frames)``.

    Solves ``min_{M >= 0} ||B M - exp(log_mel)||^2`` for the mel filterbank ``B`` by
    projected gradient descent, started from the pseudo-inverse (clipped at 0). The
    filterbank has fewer rows than columns, so many magnitudes fit; this picks a smooth
    one inside each band. Taught in notebook 06c (``06c_frame_rate_decoder``).

    >>> B = mel_filterbank()
    >>> mag = np.abs(np.random.default_rng(0).standard_normal((513, 4))) + 0.1
    >>> est = mel_to_magnitude(np.log(B @ mag))
    >>> float(np.abs(B @ est - B @ mag).max() / (B @ mag).max()) < 0.05
    True
    """
    log_mel_spec = np.asarray(log_mel_spec, np.float64)
    basis = mel_filterbank(sample_rate, n_fft, log_mel_spec.shape[0], fmin, fmax).astype(np.float64)
    target = np.exp(log_mel_spec)
    mag = np.maximum(np.linalg.pinv(basis) @ target, 0.0)
    step = 1.0 / np.linalg.norm(basis, 2) ** 2          # 1 / Lipschitz constant of the gradient
    for _ in range(n_iter):
        mag = np.maximum(mag - step * basis.T @ (basis @ mag - target), 0.0)
    return mag


def gl_round(magnitude, phase, hop: int, length: int, n_fft: int = N_FFT, win_length: int = WIN_LENGTH):
    """One Griffin-Lim round: impose ``magnitude`` on ``phase`` (unit complex), iSTFT, STFT again.

    Returns the *rebuilt* complex STFT, the nearest consistent spectrogram; its angle is
    the next phase estimate. NumPy or torch in, the same kind out (complex128 for NumPy).
    Students write this in notebook 06c.

    >>> mag = stft_mag(np.sin(np.arange(3200) / 7.0), hop=160)
    >>> rebuilt = gl_round(mag, np.ones(mag.shape, complex), hop=160, length=3200)
    >>> rebuilt.shape == mag.shape, rebuilt.dtype
    (True, dtype('complex128'))
    """
    is_numpy = not isinstance(magnitude, torch.Tensor)
    mag = torch.as_tensor(np.asarray(magnitude, np.float64)) if is_numpy else magnitude
    ph = torch.as_tensor(np.asarray(phase, np.complex128)) if is_numpy else phase
    rebuilt = stft(istft(mag * ph, hop, length, n_fft, win_length), hop, n_fft, win_length)
    return rebuilt.numpy() if is_numpy else rebuilt


def griffin_lim(magnitude, hop: int, n_iter: int = 32, momentum: float = MOMENTUM, length: int | None = None,
                n_fft: int = N_FFT, win_length: int = WIN_LENGTH, seed: int = 0) -> np.ndarray:
    """A waveform whose STFT magnitude approaches ``magnitude`` ``(n_fft // 2 + 1, frames)``.

    Random initial phase (``seed``), then ``n_iter`` rounds of: impose the magnitude, go
    to the time domain and back; with ``momentum > 0`` the fast Griffin-Lim extrapolation.
    ``length`` defaults to ``hop * (frames - 1)``. (Starting from the phase of a harmonic
    excitation at the decoded F0 instead was tried: it changed neither PER nor voicing errors.)
    Taught in notebook 06c (``06c_frame_rate_decoder``).

    >>> griffin_lim(np.ones((513, 11)), hop=160, n_iter=2).shape
    (1600,)
    """
    mag = torch.as_tensor(np.asarray(magnitude, np.float32))       # single precision: twice as fast, same result
    length = hop * (mag.shape[-1] - 1) if length is None else length
    gen = torch.Generator().manual_seed(seed)
    phase = torch.exp(2j * np.pi * torch.rand(mag.shape, generator=gen, dtype=torch.float64)).to(torch.complex64)
    previous = torch.zeros_like(phase)
    for _ in range(n_iter):
        rebuilt = gl_round(mag, phase, hop, length, n_fft, win_length)
        accelerated = rebuilt + momentum * (rebuilt - previous) if momentum else rebuilt
        previous = rebuilt
        phase = accelerated / accelerated.abs().clamp_min(1e-12)
    return istft(mag * phase, hop, length, n_fft, win_length).numpy().astype(np.float32)


def mel_to_waveform(log_mel_spec, hop: int, n_iter: int = 32, length: int | None = None, **kw) -> np.ndarray:
    """The course's natural-log mel ``(80, frames)`` -> waveform: :func:`mel_to_magnitude` then :func:`griffin_lim`.

    Extra keyword arguments go to :func:`griffin_lim`. The whole waveform stage of the
    ``"acoustic+griffin-lim"`` decoder, with no training (notebook 06c).

    >>> from resynth_lib.core.rates import N_MELS
    >>> mel_to_waveform(np.full((N_MELS, 11), -4.0), hop=160, n_iter=2).shape
    (1600,)
    """
    return griffin_lim(mel_to_magnitude(log_mel_spec), hop, n_iter=n_iter, length=length, **kw)


def spectral_convergence(magnitude, wav, hop: int) -> float:
    """``|| |S| - |STFT(wav)| ||_F / || S ||_F`` (0: the waveform has exactly the target magnitudes).

    Only the frames both have are compared. Students write it in notebook 06c and follow
    it over the Griffin-Lim rounds, with and without momentum.

    >>> m = stft_mag(np.sin(np.arange(3200) / 5.0), hop=160)
    >>> round(spectral_convergence(m, np.sin(np.arange(3200) / 5.0), hop=160), 6)
    0.0
    """
    target = np.asarray(magnitude, np.float64)
    got = stft_mag(wav, hop)[:, :target.shape[1]]
    target = target[:, :got.shape[1]]
    return float(np.linalg.norm(target - got) / max(np.linalg.norm(target), 1e-12))


__all__ = ["MOMENTUM", "stft", "istft", "stft_mag", "mel_to_magnitude", "gl_round", "griffin_lim", "mel_to_waveform", "spectral_convergence"]
