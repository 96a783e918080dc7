"""Wrong implementations of every exercise: the mistakes students make, which the checker must catch.

Each exercise's ``mutants`` (set by :func:`attach`) are ``(mistake, function)`` pairs: the
function makes that one mistake and is otherwise right. The test suite runs every mutant
through :func:`resynth_lib.course.checks.run_check` and requires FAIL, so the fixed inputs
of every exercise are strong enough to notice a typical error (the reference passing
proves only that the checker can say PASS). Taught in notebook 00 (``00_audio_and_data``),
"how exercises work".

Example
-------
>>> from resynth_lib.course.checks import REGISTRY, run_check
>>> attach()
>>> mistake, wrong = REGISTRY["00.hz_to_mel"].mutants[0]
>>> mistake, run_check("00.hz_to_mel", wrong).status
('natural log instead of log10', 'fail')
"""
from __future__ import annotations

import importlib

import numpy as np

NOTEBOOK_MODULES = ("nb00", "nb01", "nb01b", "nb02", "nb02b", "nb03", "nb03b", "nb04", "nb04b", "nb05", "nb06", "nb06b",
                    "nb06c", "nb06d", "nb07", "nb07b")


def _torch():
    import torch
    import torch.nn.functional as F
    return torch, F


# ------------------------------------------------------------------ notebook 00
def _mel_points_linear_in_hz(sample_rate, n_fft, n_mels, fmin, fmax):
    bins = np.linspace(0, sample_rate / 2, 1 + n_fft // 2)
    points = np.linspace(fmin, fmax, n_mels + 2)                 # the mistake: even in Hz, not in mel
    lower, centre, upper = points[:-2, None], points[1:-1, None], points[2:, None]
    return np.maximum(0.0, np.minimum((bins - lower) / (centre - lower), (upper - bins) / (upper - centre)))


def _stft_without_window(x, n_fft, hop_length):
    from resynth_lib.core.audio import frame_signal
    return np.abs(np.fft.rfft(frame_signal(np.asarray(x, np.float64), n_fft, hop_length), axis=1)).T


# ------------------------------------------------------------------ notebook 02
def _negative_sampling_sign_error(centre_vecs, context_vecs, negative_vecs):
    torch, F = _torch()
    pos = (centre_vecs * context_vecs).sum(-1)
    neg = torch.einsum("bd,bkd->bk", centre_vecs, negative_vecs)
    return -(F.logsigmoid(pos) + F.logsigmoid(neg).sum(-1)).mean()     # the mistake: logsigmoid(+neg)


# ------------------------------------------------------------------ notebook 03
def _assign_manhattan(X, centroids):
    d = np.abs(np.asarray(X)[:, None, :] - np.asarray(centroids)[None, :, :]).sum(-1)
    labels = d.argmin(1)
    return labels, d[np.arange(len(labels)), labels]


def _update_with_sums(X, labels, centroids):
    from resynth_lib.content.kmeans import update_centroids
    X, labels = np.asarray(X, np.float64), np.asarray(labels)
    new, n_empty = update_centroids(X, labels, centroids)
    counts = np.bincount(labels, minlength=len(new))
    return new * np.maximum(counts, 1)[:, None], n_empty         # the mistake: sums, not means


def _purity_over_units(phones, units):
    _, p_idx = np.unique(np.asarray(phones), return_inverse=True)
    _, u_idx = np.unique(np.asarray(units), return_inverse=True)
    table = np.zeros((p_idx.max() + 1, u_idx.max() + 1))
    np.add.at(table, (p_idx, u_idx), 1)
    return float(np.mean(table.max(0) / table.sum(0)))           # the mistake: every unit weighs the same


def _pnmi_over_unit_entropy(phones, units):
    phones, units = np.asarray(phones), np.asarray(units)
    table = np.zeros((phones.max() + 1, units.max() + 1))
    np.add.at(table, (phones, units), 1)
    p = table / table.sum()
    pp, pu = p.sum(1), p.sum(0)
    nz = p > 0
    mi = float(np.sum(p[nz] * np.log(p[nz] / (pp[:, None] * pu[None, :])[nz])))
    h_unit = float(-np.sum(pu[pu > 0] * np.log(pu[pu > 0])))
    return mi / h_unit                                           # the mistake: divided by H(unit), not H(phone)


# ------------------------------------------------------------------ notebook 04
def _difference_absolute(frames, max_lag):
    frames = np.asarray(frames, np.float64)
    W = frames.shape[1] - max_lag
    return np.stack([np.abs(frames[:, :W] - frames[:, tau:tau + W]).sum(1) for tau in range(max_lag + 1)], 1)


def _cmnd_without_tau(d):
    d = np.asarray(d, np.float64)
    out = np.ones_like(d)
    running = np.cumsum(d[:, 1:], axis=1)
    out[:, 1:] = np.where(running > 0, d[:, 1:] / np.where(running > 0, running, 1), 1.0)   # missing "* tau"
    return out


def _vde_misses_only(ref_f0, est_f0):
    ref, est = np.nan_to_num(np.asarray(ref_f0, float)) > 0, np.nan_to_num(np.asarray(est_f0, float)) > 0
    return float(np.mean(ref & ~est))                           # the mistake: false alarms not counted


def _gpe_over_reference_voiced(ref_f0, est_f0, threshold=0.2):
    ref, est = np.nan_to_num(np.asarray(ref_f0, float)), np.nan_to_num(np.asarray(est_f0, float))
    voiced = ref > 0                                             # the mistake: not voiced in BOTH tracks
    ratio = np.where(est[voiced] > 0, est[voiced] / ref[voiced], 0.0)
    return float(np.mean(np.abs(ratio - 1) > threshold)) if voiced.any() else 0.0


# ------------------------------------------------------------------ notebook 06
def _fold_with_zeros(x, period):
    torch, F = _torch()
    B, C, T = x.shape
    if T % period:
        x = F.pad(x, (0, period - T % period))                   # the mistake: zeros, not a reflection
    return x.view(B, C, -1, period)


# ------------------------------------------------------------------ notebook 06b
def _d_loss_pooled(real_scores, fake_scores):
    torch, _ = _torch()
    real = torch.cat([r.flatten() for r in real_scores])
    fake = torch.cat([f.flatten() for f in fake_scores])
    return torch.mean((real - 1) ** 2) + torch.mean(fake ** 2)  # the mistake: big sub-discriminators weigh more


# ------------------------------------------------------------------ notebook 06d
def _harmonic_noise():
    from resynth_lib.decoder import harmonic_noise
    return harmonic_noise


def _stft_loss_sc_only(real, fake):
    torch, _ = _torch()
    total = 0.0
    for n_fft, hop, win in _harmonic_noise().RESOLUTIONS:
        window = torch.hann_window(win)
        mags = [torch.stft(x, n_fft, hop, win, window, return_complex=True).abs().clamp_min(1e-7) for x in (real, fake)]
        total = total + torch.linalg.norm(mags[0] - mags[1]) / torch.linalg.norm(mags[0]).clamp_min(1e-7)
    return total / len(_harmonic_noise().RESOLUTIONS)            # the mistake: the log-magnitude L1 is missing


def _harmonics_nearest_bin(envelope, f0_hz):
    torch, _ = _torch()
    from resynth_lib.decoder.harmonic_noise import MAX_HARMONIC_HZ, N_HARMONICS
    bins = envelope.shape[-1]
    freqs = f0_hz[..., None] * torch.arange(1, N_HARMONICS + 1, dtype=f0_hz.dtype)
    pos = (freqs / 8000.0 * (bins - 1)).clamp(0, bins - 1).round().long()     # the mistake: no interpolation
    return torch.gather(envelope, 2, pos) * (freqs < MAX_HARMONIC_HZ)


# ------------------------------------------------------------------ notebook 07
def _runs_not_split(units, max_run=16):
    from resynth_lib.content.unit_metrics import deduplicate
    return deduplicate(units)                                    # the mistake: a run may be longer than max_run


def _runs_remainder_first(units, max_run=16):
    from resynth_lib.content.unit_metrics import deduplicate
    values, lengths = [], []
    for v, n in zip(*deduplicate(units)):
        pieces = [max_run] * (n // max_run)
        if n % max_run:
            pieces.insert(0, n % max_run)                        # the mistake: the remainder before the full pieces
        values += [v] * len(pieces)
        lengths += pieces
    return np.array(values), np.array(lengths)


# ------------------------------------------------------------------ notebook 07b
def _collapse_keeping_previous_through_blanks(best_path, blank=0):
    out, previous = [], None
    for c in best_path:
        if c != blank and c != previous:
            out.append(c)
        if c != blank:                                           # the mistake: blanks do not reset "previous"
            previous = c
    return out


def _edit_distance_without_substitution(a, b):
    D = np.zeros((len(a) + 1, len(b) + 1), int)
    D[:, 0], D[0, :] = np.arange(len(a) + 1), np.arange(len(b) + 1)
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            D[i, j] = D[i - 1, j - 1] if a[i - 1] == b[j - 1] else min(D[i - 1, j], D[i, j - 1]) + 1
    return int(D[-1, -1])


def _reference(name):
    from resynth_lib.course.checks import REGISTRY
    return REGISTRY[name].reference


def _mutants() -> dict:
    """Exercise name -> [(mistake, function)]."""
    r = _reference
    torch, _ = _torch()
    return {
        "00.hz_to_mel": [("natural log instead of log10", lambda f: 2595.0 * np.log(1.0 + np.asarray(f) / 700.0))],
        "00.frame_signal": [("one frame too few", lambda x, n, h: r("00.frame_signal")(x, n, h)[:-1])],
        "00.stft_magnitude": [("no window", _stft_without_window)],
        "00.mel_filterbank": [("points evenly spaced in Hz", _mel_points_linear_in_hz)],
        "01.log_sum_exp": [("forgot to add the maximum back", lambda a, axis=-1: np.log(np.sum(
            np.exp(np.asarray(a) - np.max(a, axis=axis, keepdims=True)), axis=axis)))],
        "01.e_step": [("ignored the mixing weights", lambda X, w, m, c: r("01.e_step")(
            X, np.full(len(w), 1.0 / len(w)), m, c))],
        "01.m_step": [("hard assignments instead of responsibilities", lambda X, resp: r("01.m_step")(
            X, np.eye(np.asarray(resp).shape[1])[np.asarray(resp).argmax(1)]))],
        "01.als_update": [("no regularisation", lambda R, V, lam: r("01.als_update")(R, V, 0.0))],
        "01b.vae_loss": [("summed over the batch instead of averaging", lambda x, recon, mu, logvar, beta=1.0: tuple(
                             len(x) * v for v in r("01b.vae_loss")(x, recon, mu, logvar, beta))),
                         ("KL without the -1", lambda x, recon, mu, logvar, beta=1.0: (lambda t: (
                             t[0] + beta * 0.5 * mu.shape[1], t[1], t[2] + 0.5 * mu.shape[1]))(
                             r("01b.vae_loss")(x, recon, mu, logvar, beta)))],
        "01b.mig_gaps": [("best minus the mean instead of the runner-up",
                          lambda mi: np.max(mi, axis=0) - np.mean(mi, axis=0)),
                         ("gaps across factors instead of across latents",
                          lambda mi: (lambda s: s[:, -1] - s[:, -2])(np.sort(np.asarray(mi), axis=1)))],
        "02.rotate_batch": [("turned clockwise", lambda images: (torch.cat([torch.rot90(images, -k, dims=(-2, -1))
                                                                            for k in range(4)]),
                                                                 torch.arange(4).repeat_interleave(len(images)))),
                            ("labels 0 1 2 3 0 1 2 3 ...", lambda images: (r("02.rotate_batch")(images)[0],
                                                                           torch.arange(4).repeat(len(images))))],
        "02b.info_nce": [("softmax over the wrong axis (candidates and predictions swapped)",
                         lambda p, c, pos, temperature=1.0: r("02b.info_nce")(c, p, pos, temperature))],
        "02b.mask_from_starts": [("each start hides one frame too few", lambda starts, span: r("02b.mask_from_starts")(
            starts, span - 1))],
        "02.negative_sampling_loss": [("sign error on the negatives", _negative_sampling_sign_error)],
        "03.assign_clusters": [("Manhattan instead of squared Euclidean distance", _assign_manhattan)],
        "03.update_centroids": [("sums instead of means", _update_with_sums)],
        "03b.pnmi": [("normalised by the unit entropy", _pnmi_over_unit_entropy)],
        "03b.phone_purity": [("the roles of phones and units swapped (cluster purity)",
                              lambda phones, units: r("03b.phone_purity")(units, phones)),
                             ("averaged over units instead of over frames", _purity_over_units)],
        "04.difference_function": [("absolute instead of squared differences", _difference_absolute)],
        "04.cmnd": [("forgot the factor tau", _cmnd_without_tau)],
        "04.vde": [("counted only missed voicing", _vde_misses_only)],
        "04.gpe": [("frames voiced in the reference only", _gpe_over_reference_voiced)],
        "04b.nearest_codes": [("argmax instead of argmin", lambda z, codebook: (
            (np.asarray(z)[:, None, :] - np.asarray(codebook)[None]) ** 2).sum(-1).argmax(1))],
        "04b.ema_update": [("replaced the statistics instead of averaging (decay 0)",
                           lambda *a, **k: r("04b.ema_update")(*a, **{**k, "decay": 0.0}))],
        "05.ge2e_loss": [("forgot the learned scale and offset", lambda e, w, b: r("05.ge2e_loss")(e, 1.0, 0.0))],
        "05.equal_error_rate": [("scores read the wrong way round", lambda s, labels: r("05.equal_error_rate")(
            -np.asarray(s, float), labels))],
        "06.fold_by_period": [("padded with zeros", _fold_with_zeros)],
        "06.harmonic_source": [("one harmonic too few", lambda f0, **k: r("06.harmonic_source")(
            f0, **{**k, "n_harmonics": k.get("n_harmonics", 8) - 1}))],
        "06b.discriminator_loss": [("real and generated targets swapped", lambda real, fake: sum(
                                       torch.mean(r ** 2) + torch.mean((f - 1) ** 2) for r, f in zip(real, fake))),
                                   ("one mean over all sub-discriminators together", _d_loss_pooled)],
        "06b.feature_matching_loss": [("squared instead of absolute differences", lambda real, fake: sum(
                                          torch.mean((r - f) ** 2) for rs, fs in zip(real, fake) for r, f in zip(rs, fs))),
                                      ("only the last layer of each discriminator", lambda real, fake: sum(
                                          torch.mean(torch.abs(rs[-1] - fs[-1])) for rs, fs in zip(real, fake)))],
        "06c.spectral_convergence": [("ratio of squared norms (no square root)", lambda *a: r(
            "06c.spectral_convergence")(*a) ** 2)],
        "06c.gl_round": [("returned the input phases unchanged", lambda mag, phase, *a, **k: phase)],
        "06d.harmonic_amplitudes": [("nearest bin instead of interpolation", _harmonics_nearest_bin)],
        "06d.stft_loss": [("spectral convergence only (no log-magnitude term)", _stft_loss_sc_only),
                          ("summed over the resolutions instead of averaged", lambda real, fake: len(
                              _harmonic_noise().RESOLUTIONS) * r("06d.stft_loss")(real, fake))],
        "07b.ctc_collapse": [("blanks do not separate repeats", _collapse_keeping_previous_through_blanks)],
        "07b.edit_distance": [("no substitutions (only insertions and deletions)",
                               _edit_distance_without_substitution)],
        "07.run_length_split": [("long runs not split", _runs_not_split),
                                ("the short piece first", _runs_remainder_first)],
        "07.cross_entropy_bits": [("natural log instead of log2", lambda codes, model, k, smoothing=0.5: float(
            np.mean(-np.log((np.bincount(np.asarray(model).ravel(), minlength=k)[:k] + smoothing)[np.asarray(codes)]
                            / (len(np.asarray(model).ravel()) + k * smoothing)))))],
    }


def attach() -> None:
    """Import every notebook's exercises and set each exercise's ``mutants`` (notebook 00).

    Example
    -------
    >>> from resynth_lib.course.checks import REGISTRY
    >>> attach()
    >>> all(REGISTRY[name].mutants for name in REGISTRY if not name.startswith(("test.", "demo.")))
    True
    """
    from resynth_lib.course.checks import REGISTRY
    for module in NOTEBOOK_MODULES:
        importlib.import_module(f"resynth_lib.course.exercises.{module}")
    for name, mutants in _mutants().items():
        REGISTRY[name].mutants = list(mutants)
