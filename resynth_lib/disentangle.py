"""Learned disentanglement (學習解離表徵) on data whose generative factors are known.

Taught in notebook 01 (``01_latent_factors_and_gmms``). Speech mixes *what* is said, *how
high* and *how loud* it is said, and *who* says it; the paper keeps these apart by
construction (units, F0 codes, speaker embedding). Here we ask whether a model can find
such factors by itself:

* :func:`make_vowel_dataset` -- vowel-like frames made by a source-filter model whose three
  factors we chose and therefore know: F0 (90-300 Hz, log-uniform), the vowel (5 formant
  patterns) and the loudness (a dB gain). Each example is the 64-band log-mel spectrum of
  one 64 ms frame.
* :class:`BetaVAE` -- a small MLP variational auto-encoder; ``beta > 1`` weighs the KL term
  up, pressing each latent towards an independent unit Gaussian (Higgins et al., 2017).
* :func:`mutual_information_gap` -- the MIG score (Chen et al., 2018): for every factor, how
  much more one latent knows about it than the runner-up, relative to what there is to know.

Two trained models ship in ``data/checkpoints/`` (``beta_vae_beta1.pt``, ``beta_vae_beta4.pt``),
each with a JSON record of how it was trained and the held-out MIG it reached; re-train one
with ``python -m resynth_lib.disentangle --beta 4 --out PATH``.

Example
-------
>>> X, factors = make_vowel_dataset(500, seed=0)
>>> X.shape, factors.shape, FACTOR_NAMES
((500, 64), (500, 3), ('f0_hz', 'vowel', 'loudness_db'))
>>> model, history = train_beta_vae(X, beta=4.0, steps=20, seed=0, progress=False)
>>> encode(model, X).shape
(500, 6)
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

from .config import machine_info
from .audio import SAMPLE_RATE, mel_filterbank

# ------------------------------------------------------------------ the synthetic vowels
VOWELS = ("i", "e", "a", "o", "u")
#: F1, F2, F3 (Hz) of each vowel: textbook values for an adult male voice.
FORMANTS = np.array([[280.0, 2250.0, 2900.0],   # i  as in "see"
                     [450.0, 1950.0, 2600.0],   # e  as in "say"
                     [750.0, 1250.0, 2600.0],   # a  as in "father"
                     [480.0, 850.0, 2500.0],    # o  as in "go"
                     [320.0, 800.0, 2300.0]])   # u  as in "boot"
BANDWIDTHS = np.array([60.0, 90.0, 120.0])      #: formant bandwidths (Hz)
FACTOR_NAMES = ("f0_hz", "vowel", "loudness_db")
F0_RANGE = (90.0, 300.0)
LOUDNESS_RANGE = (-20.0, 0.0)
FRAME_LENGTH = 1024                 #: 64 ms at 16 kHz
N_BANDS = 64                        #: log-mel bands from 0 to F_MAX
F_MAX = 4000.0
FORMANT_JITTER = 0.04               #: per-example random scaling of the formants (a nuisance, like a speaker)
NOISE_DB = -35.0                    #: breath noise, relative to the voiced signal
REFERENCE_LEVEL_DB = -30.0          #: mean log-mel band level (dB) of a frame at loudness 0 dB
FEATURE_OFFSET = -4.0               #: features are log10(mel power) - FEATURE_OFFSET: mean band level -40 dB -> 0
_HIGHEST_HARMONIC_HZ = 7600.0
_OVERSAMPLE = 16                    #: harmonics are placed on an FFT grid 16x finer than the frame's


def _resonance_gain(f, centre, bandwidth):
    """Magnitude response at ``f`` (Hz) of a two-pole resonator with unit gain at 0 Hz."""
    r = np.exp(-np.pi * bandwidth / SAMPLE_RATE)
    c = 2 * r * np.cos(2 * np.pi * centre / SAMPLE_RATE)
    z = np.exp(-2j * np.pi * f / SAMPLE_RATE)
    return np.abs((1 - c + r * r) / (1 - c * z + r * r * z * z))


def _voiced_frames(f0, formants, n_samples, rng) -> np.ndarray:
    """``(m, n_samples)`` source-filter frames, each scaled to RMS 1.

    The source is a sum of harmonics ``k F0`` with amplitudes ``1/k`` (a glottal pulse train
    with lip radiation) and random phases; the filter is three formant resonators. The sum
    is done by one inverse FFT on a grid ``_OVERSAMPLE`` times finer than ``n_samples``,
    which moves each harmonic by well under 1 Hz.
    """
    m = len(f0)
    n_harmonics = int(_HIGHEST_HARMONIC_HZ / F0_RANGE[0])
    freqs = f0[:, None] * np.arange(1, n_harmonics + 1)[None, :]
    keep = freqs < _HIGHEST_HARMONIC_HZ
    amps = keep / np.arange(1, n_harmonics + 1)[None, :]
    for j in range(3):
        amps = amps * _resonance_gain(freqs, formants[:, j, None], BANDWIDTHS[j])
    grid = int(2 ** np.ceil(np.log2(_OVERSAMPLE * n_samples)))
    bins = np.where(keep, np.rint(freqs * grid / SAMPLE_RATE), 0).astype(np.int64)
    spectrum = np.zeros((m, grid // 2 + 1), dtype=np.complex128)
    phases = np.exp(2j * np.pi * rng.random((m, n_harmonics)))
    np.add.at(spectrum, (np.repeat(np.arange(m), n_harmonics), bins.ravel()), (amps * phases).ravel())
    x = np.fft.irfft(spectrum, n=grid, axis=1)[:, :n_samples]
    return x / np.sqrt(np.mean(x ** 2, axis=1, keepdims=True))


def features_to_db(features) -> np.ndarray:
    """Undo the offset of :func:`make_vowel_dataset`: features back to log-mel power in dB.

    Example
    -------
    >>> features_to_db(np.array([0.0, 1.0]))
    array([-40., -30.])
    """
    return (np.asarray(features, dtype=np.float64) + FEATURE_OFFSET) * 10.0


def make_vowel_dataset(n: int, seed: int = 0, chunk: int = 250):
    """Vowel frames with known factors: ``(features (n, 64) float32, factors (n, 3) float64)``.

    Each example draws F0 log-uniformly from 90-300 Hz, one of the five :data:`VOWELS`, and
    a loudness uniformly from -20 to 0 dB; the formants are scaled by a small random factor
    (``exp(0.04 N(0,1))``, like different vocal tracts) and breath noise is added 35 dB
    below the voice. The feature is the log-mel power (64 Slaney bands, 0-4 kHz) of one
    Hann-windowed 64 ms frame at 16 kHz, in dB, scaled as ``(dB + 40) / 20`` so that values
    are of order 1 (:func:`features_to_db` undoes it). Columns of ``factors`` are
    :data:`FACTOR_NAMES`: F0 in Hz, vowel index into :data:`VOWELS`, loudness in dB.
    The same ``(n, seed)`` always gives the same arrays. Taught in notebook 01
    (``01_latent_factors_and_gmms``).

    Example
    -------
    >>> X, factors = make_vowel_dataset(8, seed=1)
    >>> X.dtype, X.shape
    (dtype('float32'), (8, 64))
    >>> f0, vowel, loudness = factors.T
    >>> bool(np.all((f0 >= 90) & (f0 <= 300))), [VOWELS[int(v)] for v in vowel[:3]]
    (True, ['o', 'a', 'i'])
    """
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    rng = np.random.default_rng(seed)
    f0 = np.exp(rng.uniform(np.log(F0_RANGE[0]), np.log(F0_RANGE[1]), n))
    vowel = rng.integers(0, len(VOWELS), n)
    loudness = rng.uniform(*LOUDNESS_RANGE, n)
    formants = FORMANTS[vowel] * np.exp(FORMANT_JITTER * rng.standard_normal((n, 3)))
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(FRAME_LENGTH) / FRAME_LENGTH)
    mel = mel_filterbank(SAMPLE_RATE, FRAME_LENGTH, N_BANDS, 0.0, F_MAX).astype(np.float64)
    features = np.empty((n, N_BANDS), dtype=np.float32)
    for start in range(0, n, chunk):
        part = slice(start, min(n, start + chunk))
        x = _voiced_frames(f0[part], formants[part], FRAME_LENGTH, rng)
        x = x + 10 ** (NOISE_DB / 20) * rng.standard_normal(x.shape)
        db = 10 * np.log10(np.abs(np.fft.rfft(x * window, axis=1)) ** 2 @ mel.T)
        # the gain that puts the frame's mean band level at REFERENCE_LEVEL_DB + loudness
        db += (REFERENCE_LEVEL_DB + loudness[part] - db.mean(axis=1))[:, None]
        features[part] = db / 10.0 - FEATURE_OFFSET
    return features, np.stack([f0, vowel.astype(np.float64), loudness], axis=1)


def synthesize_vowel(f0: float, vowel: str | int, loudness_db: float = -6.0, seconds: float = 0.5,
                     seed: int = 0) -> np.ndarray:
    """A steady vowel to listen to (16 kHz float32), made exactly as the dataset's frames.

    Taught in notebook 01 (``01_latent_factors_and_gmms``).

    Example
    -------
    >>> wav = synthesize_vowel(120.0, "a", seconds=0.25)
    >>> wav.shape, wav.dtype
    ((4000,), dtype('float32'))
    """
    index = VOWELS.index(vowel) if isinstance(vowel, str) else int(vowel)
    rng = np.random.default_rng(seed)
    x = _voiced_frames(np.array([float(f0)]), FORMANTS[index][None], int(seconds * SAMPLE_RATE), rng)[0]
    x = x + 10 ** (NOISE_DB / 20) * rng.standard_normal(x.shape)
    fade = np.minimum(1.0, np.minimum(np.arange(len(x)), np.arange(len(x))[::-1]) / (0.01 * SAMPLE_RATE))
    return (0.1 * 10 ** (loudness_db / 20) * x * fade).astype(np.float32)


# ------------------------------------------------------------------ the beta-VAE
class BetaVAE(nn.Module):
    """A small MLP variational auto-encoder: ``x -> (mu, logvar) -> z -> x_hat``.

    The encoder maps ``x`` to the mean and log-variance of a diagonal Gaussian
    ``q(z|x)``; the decoder maps a latent ``z`` back to ``x``. ``forward`` samples
    ``z = mu + exp(logvar / 2) * eps`` in training mode and uses ``z = mu`` in eval mode,
    and returns ``(recon, mu, logvar)``. Taught in notebook 01 (``01_latent_factors_and_gmms``).

    Example
    -------
    >>> model = BetaVAE(input_dim=64, latent_dim=6)
    >>> recon, mu, logvar = model(torch.zeros(5, 64))
    >>> recon.shape, mu.shape
    (torch.Size([5, 64]), torch.Size([5, 6]))
    >>> total, recon_err, kl = model.loss(torch.zeros(5, 64), beta=4.0)
    >>> bool(total >= recon_err)
    True
    """

    def __init__(self, input_dim: int = N_BANDS, latent_dim: int = 6, hidden_dim: int = 128):
        super().__init__()
        self.input_dim, self.latent_dim, self.hidden_dim = input_dim, latent_dim, hidden_dim
        self.encoder = nn.Sequential(nn.Linear(input_dim, hidden_dim), nn.ReLU(),
                                     nn.Linear(hidden_dim, hidden_dim), nn.ReLU(),
                                     nn.Linear(hidden_dim, 2 * latent_dim))
        self.decoder = nn.Sequential(nn.Linear(latent_dim, hidden_dim), nn.ReLU(),
                                     nn.Linear(hidden_dim, hidden_dim), nn.ReLU(),
                                     nn.Linear(hidden_dim, input_dim))

    def encode(self, x: torch.Tensor):
        """``(mu, logvar)`` of ``q(z|x)``, each ``(batch, latent_dim)``."""
        mu, logvar = self.encoder(x).chunk(2, dim=-1)
        return mu, logvar

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """The reconstruction of a latent ``z``, ``(batch, input_dim)``."""
        return self.decoder(z)

    def forward(self, x: torch.Tensor):
        mu, logvar = self.encode(x)
        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu) if self.training else mu
        return self.decode(z), mu, logvar

    def loss(self, x: torch.Tensor, beta: float = 1.0):
        """``(total, reconstruction, kl)``, each averaged over the batch.

        ``reconstruction = sum_d (x_d - x_hat_d)^2`` (a Gaussian decoder, constants dropped);
        ``kl = KL(q(z|x) || N(0, I)) = 1/2 sum_j (mu_j^2 + exp(logvar_j) - logvar_j - 1)``;
        ``total = reconstruction + beta * kl``. ``beta = 1`` is the plain VAE.
        """
        recon, mu, logvar = self(x)
        reconstruction = ((recon - x) ** 2).sum(dim=1).mean()
        kl = 0.5 * (mu ** 2 + logvar.exp() - logvar - 1).sum(dim=1).mean()
        return reconstruction + beta * kl, reconstruction, kl


def train_beta_vae(features, beta: float, steps: int = 12000, seed: int = 0, latent_dim: int = 6,
                   hidden_dim: int = 128, batch_size: int = 128, lr: float = 1e-3, device: str = "cpu",
                   progress: bool = True):
    """Train a :class:`BetaVAE` with Adam on random mini-batches; returns ``(model, history)``.

    ``history`` holds ``"loss"``, ``"reconstruction"`` and ``"kl"`` per step. The same
    ``seed`` gives the same model (initial weights, batches and noise all come from it,
    without touching the global random state). The model comes back in eval mode on the CPU.
    Taught in notebook 01 (``01_latent_factors_and_gmms``).

    Example
    -------
    >>> X, _ = make_vowel_dataset(300, seed=0)
    >>> model, history = train_beta_vae(X, beta=1.0, steps=30, seed=0, progress=False)
    >>> bool(history["loss"][-1] < history["loss"][0])
    True
    """
    X = torch.as_tensor(np.asarray(features, dtype=np.float32))
    if X.ndim != 2 or not torch.isfinite(X).all():
        raise ValueError(f"features must be a finite 2-D array (n, d), got shape {tuple(X.shape)}")
    history = {"loss": [], "reconstruction": [], "kl": []}
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = BetaVAE(X.shape[1], latent_dim, hidden_dim).to(device)
        X = X.to(device)
        optimiser = torch.optim.Adam(model.parameters(), lr=lr)
        generator = torch.Generator().manual_seed(seed)
        steps_iter = range(steps)
        if progress:
            from tqdm.auto import tqdm
            steps_iter = tqdm(steps_iter, desc=f"beta-VAE (beta={beta:g})", unit="step")
        model.train()
        for step in steps_iter:
            batch = X[torch.randint(len(X), (batch_size,), generator=generator).to(device)]
            total, reconstruction, kl = model.loss(batch, beta)
            optimiser.zero_grad()
            total.backward()
            optimiser.step()
            for key, value in zip(history, (total, reconstruction, kl)):
                history[key].append(value.item())
            if progress and step % 100 == 0:
                steps_iter.set_postfix(loss=f"{history['loss'][-1]:.2f}", kl=f"{history['kl'][-1]:.2f}")
    return model.cpu().eval(), history


@torch.no_grad()
def encode(model: BetaVAE, features, batch_size: int = 2048) -> np.ndarray:
    """The latent means ``mu`` of every example, ``(n, latent_dim)`` numpy.

    Taught in notebook 01 (``01_latent_factors_and_gmms``).

    Example
    -------
    >>> encode(BetaVAE(latent_dim=3), np.zeros((4, 64), np.float32)).shape
    (4, 3)
    """
    X = torch.as_tensor(np.asarray(features, dtype=np.float32))
    model.eval()
    return np.concatenate([model.encode(X[i:i + batch_size])[0].numpy() for i in range(0, len(X), batch_size)])


@torch.no_grad()
def latent_traversal(model: BetaVAE, x, dim: int, values) -> np.ndarray:
    """Decode ``x`` with latent ``dim`` set to each of ``values``: ``(len(values), input_dim)``.

    The other latents stay at ``x``'s means, so the rows show what that one latent controls.
    Taught in notebook 01 (``01_latent_factors_and_gmms``).

    Example
    -------
    >>> model = BetaVAE(latent_dim=4)
    >>> latent_traversal(model, np.zeros(64, np.float32), dim=2, values=np.linspace(-2, 2, 5)).shape
    (5, 64)
    """
    model.eval()
    x = torch.as_tensor(np.asarray(x, dtype=np.float32)).reshape(1, -1)
    if not 0 <= dim < model.latent_dim:
        raise ValueError(f"dim must be in [0, {model.latent_dim}), got {dim}")
    values = torch.as_tensor(np.asarray(values, dtype=np.float32)).reshape(-1)
    z = model.encode(x)[0].repeat(len(values), 1)
    z[:, dim] = values
    return model.decode(z).numpy()


# ------------------------------------------------------------------ scores
def discretise(values, n_bins: int = 20, method: str = "uniform") -> np.ndarray:
    """Integer codes ``0..n_bins-1`` for a 1-D array: equal-width (``"uniform"``) or equal-count
    (``"quantile"``) bins. A constant array gets code 0 everywhere.

    Taught in notebook 01 (``01_latent_factors_and_gmms``).

    Example
    -------
    >>> discretise(np.array([0.0, 0.1, 0.5, 1.0]), n_bins=2).tolist()
    [0, 0, 1, 1]
    """
    values = np.asarray(values, dtype=np.float64)
    if values.max() == values.min():
        return np.zeros(values.shape, dtype=np.int64)
    if method == "uniform":
        edges = np.linspace(values.min(), values.max(), n_bins + 1)
    elif method == "quantile":
        edges = np.quantile(values, np.linspace(0, 1, n_bins + 1))
    else:
        raise ValueError(f"method must be 'uniform' or 'quantile', got {method!r}")
    return np.searchsorted(edges[1:-1], values, side="right")


def _factor_codes(values, n_bins: int) -> np.ndarray:
    """A factor with at most ``n_bins`` distinct values is categorical; a continuous one gets quantile bins."""
    unique, codes = np.unique(values, return_inverse=True)
    return codes if len(unique) <= n_bins else discretise(values, n_bins, "quantile")


def mutual_information(a, b) -> float:
    """Mutual information (nats) between two integer code arrays, from their joint histogram.

    ``I(a; b) = sum_ij p(i, j) log(p(i, j) / (p(i) p(j)))``. Taught in notebook 01
    (``01_latent_factors_and_gmms``).

    Example
    -------
    >>> round(mutual_information([0, 0, 1, 1], [1, 1, 0, 0]), 4)   # log 2
    0.6931
    """
    _, a = np.unique(np.asarray(a), return_inverse=True)
    _, b = np.unique(np.asarray(b), return_inverse=True)
    joint = np.zeros((a.max() + 1, b.max() + 1))
    np.add.at(joint, (a, b), 1.0)
    joint /= joint.sum()
    outer = joint.sum(axis=1, keepdims=True) * joint.sum(axis=0, keepdims=True)
    nz = joint > 0
    return float(np.sum(joint[nz] * np.log(joint[nz] / outer[nz])))


def entropy(codes) -> float:
    """Entropy (nats) of an integer code array. Taught in notebook 01 (``01_latent_factors_and_gmms``).

    Example
    -------
    >>> round(entropy([0, 1, 2, 3]), 4)   # log 4
    1.3863
    """
    _, counts = np.unique(np.asarray(codes), return_counts=True)
    p = counts / counts.sum()
    return float(-np.sum(p * np.log(p)))


def _check_codes(latents, factors):
    latents, factors = np.asarray(latents, dtype=np.float64), np.asarray(factors, dtype=np.float64)
    if latents.ndim != 2 or factors.ndim != 2 or len(latents) != len(factors):
        raise ValueError(f"latents {latents.shape} and factors {factors.shape} must be 2-D with the same "
                         "number of rows (one per example)")
    if not (np.all(np.isfinite(latents)) and np.all(np.isfinite(factors))):
        raise ValueError("latents and factors must not contain NaN or inf")
    return latents, factors


def mutual_information_matrix(latents, factors, n_bins: int = 20) -> np.ndarray:
    """``(n_latents, n_factors)`` mutual information, each column divided by the factor's entropy.

    Latents are cut into ``n_bins`` equal-width bins (as Chen et al. do); a factor with at
    most ``n_bins`` distinct values counts as categorical, a continuous one is cut into
    ``n_bins`` equal-count bins. Entry ``[j, k]`` is 1 when latent ``j`` pins factor ``k``
    down completely and 0 when it says nothing about it.
    Taught in notebook 01 (``01_latent_factors_and_gmms``).

    Example
    -------
    >>> f = np.repeat(np.arange(4.0), 25)[:, None]
    >>> mutual_information_matrix(np.c_[f, np.zeros(100)], f).round(3)
    array([[1.],
           [0.]])
    """
    latents, factors = _check_codes(latents, factors)
    out = np.zeros((latents.shape[1], factors.shape[1]))
    for k in range(factors.shape[1]):
        v = _factor_codes(factors[:, k], n_bins)
        h = entropy(v)
        for j in range(latents.shape[1]):
            out[j, k] = mutual_information(discretise(latents[:, j], n_bins), v) / h if h > 0 else 0.0
    return out


def mutual_information_gap(latents, factors, n_bins: int = 20, per_factor: bool = False):
    """The mutual information gap (MIG, Chen et al. 2018) of a code ``latents`` for ``factors``.

    For every factor take the column of :func:`mutual_information_matrix` (mutual
    information divided by the factor's entropy), subtract the second-largest entry from
    the largest, and average over factors. 1 means each factor is captured by exactly one
    latent that no other latent shares; 0 means no latent stands out (all mixed, or a
    factor copied into two latents, or no information at all). ``per_factor=True`` returns
    the gap of every factor instead of the mean. Taught in notebook 01
    (``01_latent_factors_and_gmms``).

    Example
    -------
    >>> rng = np.random.default_rng(0)
    >>> f = rng.integers(0, 5, size=(2000, 2)).astype(float)
    >>> round(mutual_information_gap(np.c_[f, rng.normal(size=2000)], f), 2)   # one latent per factor
    0.99
    >>> round(mutual_information_gap(rng.normal(size=(2000, 3)), f), 2)        # knows nothing
    0.0
    """
    latents, factors = _check_codes(latents, factors)
    if latents.shape[1] < 2:
        raise ValueError("MIG compares the best latent with the runner-up: need at least 2 latents")
    informed = np.sort(mutual_information_matrix(latents, factors, n_bins), axis=0)
    gaps = informed[-1] - informed[-2]
    return gaps if per_factor else float(np.mean(gaps))


def _average_ranks(x) -> np.ndarray:
    """Ranks 1..n with ties sharing the average of their ranks (what Spearman needs)."""
    unique, inverse, counts = np.unique(x, return_inverse=True, return_counts=True)
    ends = np.cumsum(counts)
    return (ends - (counts - 1) / 2.0)[inverse]


def latent_factor_correlation(latents, factors, method: str = "spearman") -> np.ndarray:
    """``(n_latents, n_factors)`` absolute correlation between every latent and every factor.

    ``"spearman"`` (default) correlates ranks, so any monotone relation counts (F0 in Hz or
    in log Hz gives the same number); ``"pearson"`` correlates the values. For a categorical
    factor such as the vowel index a correlation means little: read
    :func:`mutual_information_matrix` for it. Taught in notebook 01 (``01_latent_factors_and_gmms``).

    Example
    -------
    >>> z = np.array([[1.0, 0.3], [2.0, 0.1], [3.0, 0.2]])
    >>> latent_factor_correlation(z, np.array([[10.0], [20.0], [40.0]])).round(2)
    array([[1. ],
           [0.5]])
    """
    latents, factors = _check_codes(latents, factors)
    if method == "spearman":
        latents = np.apply_along_axis(_average_ranks, 0, latents)
        factors = np.apply_along_axis(_average_ranks, 0, factors)
    elif method != "pearson":
        raise ValueError(f"method must be 'spearman' or 'pearson', got {method!r}")
    zl = latents - latents.mean(axis=0)
    zf = factors - factors.mean(axis=0)
    norm = np.outer(np.sqrt((zl ** 2).sum(axis=0)), np.sqrt((zf ** 2).sum(axis=0)))
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = np.abs(zl.T @ zf) / norm
    return np.nan_to_num(corr)                       # a constant latent correlates with nothing


# ------------------------------------------------------------------ checkpoints
CHECKPOINT_DIR = Path(__file__).resolve().parent.parent / "data" / "checkpoints"
TRAIN_SIZE, TRAIN_SEED = 4000, 0
HELDOUT_SIZE, HELDOUT_SEED = 2000, 1000          #: a different seed: examples never seen in training


def evaluate_heldout(model: BetaVAE, n: int = HELDOUT_SIZE, seed: int = HELDOUT_SEED, n_bins: int = 20) -> dict:
    """MIG (overall and per factor) and reconstruction error of ``model`` on fresh examples.

    Taught in notebook 01 (``01_latent_factors_and_gmms``).

    Example
    -------
    >>> sorted(evaluate_heldout(BetaVAE(), n=200))
    ['mig', 'mig_per_factor', 'n', 'reconstruction_mse', 'seed']
    """
    X, factors = make_vowel_dataset(n, seed)
    mu = encode(model, X)
    with torch.no_grad():
        recon = model.decode(torch.as_tensor(mu)).numpy()
    gaps = mutual_information_gap(mu, factors, n_bins, per_factor=True)
    return {"n": n, "seed": seed, "mig": float(np.mean(gaps)),
            "mig_per_factor": dict(zip(FACTOR_NAMES, (round(float(g), 4) for g in gaps))),
            "reconstruction_mse": float(np.mean((recon - X) ** 2))}


def load_beta_vae(path: str | Path) -> BetaVAE:
    """Load a :class:`BetaVAE` from a state_dict file; its sizes are read from the weights.

    Taught in notebook 01 (``01_latent_factors_and_gmms``).

    Example
    -------
    >>> model = load_beta_vae(CHECKPOINT_DIR / "beta_vae_beta4.pt")
    >>> model.latent_dim
    6
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such checkpoint; train one with "
                                f"`python -m resynth_lib.disentangle --beta 4 --out {path}`")
    state = torch.load(path, map_location="cpu", weights_only=True)
    hidden_dim, input_dim = state["encoder.0.weight"].shape
    model = BetaVAE(input_dim, state["encoder.4.weight"].shape[0] // 2, hidden_dim)
    model.load_state_dict(state)
    return model.eval()


def train_and_save(out: str | Path, beta: float, steps: int = 12000, seed: int = 0, latent_dim: int = 6,
                   hidden_dim: int = 128, batch_size: int = 128, lr: float = 1e-3, force: bool = False,
                   progress: bool = True, command: str | None = None) -> dict:
    """Train on :data:`TRAIN_SIZE` examples, save the weights (float32 state_dict) and a JSON record.

    The record (``out`` with suffix ``.json``) says how the model was made (call, seed,
    steps, wall time, machine), the loss terms averaged over the last 100 training steps,
    and what it reached on :data:`HELDOUT_SIZE` held-out examples (:func:`evaluate_heldout`).
    Refuses to overwrite unless ``force``. Taught in notebook 01 (``01_latent_factors_and_gmms``).

    Example
    -------
    >>> import tempfile
    >>> out = Path(tempfile.mkdtemp()) / "tiny.pt"
    >>> record = train_and_save(out, beta=4.0, steps=5, progress=False)
    >>> out.with_suffix(".json").exists(), record["heldout"]["seed"] != record["train_set"]["seed"]
    (True, True)
    """
    out = Path(out)
    if out.exists() and not force:
        raise FileExistsError(f"{out} exists; pass force=True (--force) to overwrite it")
    start = time.perf_counter()
    X, _ = make_vowel_dataset(TRAIN_SIZE, TRAIN_SEED)
    model, history = train_beta_vae(X, beta=beta, steps=steps, seed=seed, latent_dim=latent_dim,
                                    hidden_dim=hidden_dim, batch_size=batch_size, lr=lr, progress=progress)
    wall = time.perf_counter() - start
    out.parent.mkdir(parents=True, exist_ok=True)
    torch.save({k: v.float().contiguous() for k, v in model.state_dict().items()}, out)
    tail = slice(-100, None)
    record = {
        "command": command or f"resynth_lib.disentangle.train_and_save({str(out)!r}, beta={beta}, steps={steps}, seed={seed})",
        "beta": beta, "steps": steps, "seed": seed, "latent_dim": model.latent_dim, "hidden_dim": model.hidden_dim,
        "batch_size": batch_size, "lr": lr, "train_set": {"n": TRAIN_SIZE, "seed": TRAIN_SEED},
        "wall_time_s": round(wall, 1), "torch_threads": torch.get_num_threads(),
        "machine": machine_info(),
        "final_loss": round(float(np.mean(history["loss"][tail])), 4),
        "final_reconstruction": round(float(np.mean(history["reconstruction"][tail])), 4),
        "final_kl": round(float(np.mean(history["kl"][tail])), 4),
        "heldout": evaluate_heldout(model),
    }
    out.with_suffix(".json").write_text(json.dumps(record, indent=2) + "\n")
    return record


def main(argv=None) -> None:
    """The command line: ``python -m resynth_lib.disentangle --beta 4 --out data/checkpoints/beta_vae_beta4.pt``.

    Taught in notebook 01 (``01_latent_factors_and_gmms``).

    Example
    -------
    >>> import tempfile
    >>> main(["--beta", "1", "--steps", "3", "--out", str(Path(tempfile.mkdtemp()) / "m.pt")])  # doctest: +ELLIPSIS
    {...
      "mig": ...
    saved ...m.pt and ...m.json
    """
    parser = argparse.ArgumentParser(description="Train a beta-VAE on the synthetic vowels (notebook 01).")
    parser.add_argument("--beta", type=float, required=True)
    parser.add_argument("--steps", type=int, default=12000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--force", action="store_true", help="overwrite an existing checkpoint")
    args = parser.parse_args(argv)
    command = "resynth train beta-vae " + " ".join(sys.argv[1:] if argv is None else argv)
    record = train_and_save(args.out, beta=args.beta, steps=args.steps, seed=args.seed, force=args.force,
                            command=command)
    print(json.dumps(record["heldout"], indent=2))
    print(f"saved {args.out} and {args.out.with_suffix('.json')}")


__all__ = ["VOWELS", "FORMANTS", "FACTOR_NAMES", "make_vowel_dataset", "features_to_db", "synthesize_vowel",
           "BetaVAE", "train_beta_vae", "encode", "latent_traversal", "discretise", "mutual_information",
           "entropy", "mutual_information_matrix", "mutual_information_gap", "latent_factor_correlation",
           "evaluate_heldout", "load_beta_vae", "train_and_save", "CHECKPOINT_DIR"]

if __name__ == "__main__":
    main()
