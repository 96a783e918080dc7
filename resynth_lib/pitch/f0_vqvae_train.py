"""Training the F0 VQ-VAE: F0 data from the corpus, the training loop, evaluation, the checkpoint.

The model is :class:`resynth_lib.pitch.f0_vqvae.F0VQVAE`; this module makes it from the
corpus. :func:`track_split` tracks F0 for every utterance of a split (with
:func:`resynth_lib.pitch.yin.track_f0`, optionally cached), :func:`prepare_f0_data` turns
the tracks into speaker-normalised log-F0 contours with their voiced masks, and
:func:`train_f0_vqvae` trains on random 1.28 s windows with resume files.
:func:`evaluate_f0_vqvae` measures the codes (perplexity, bitrate) and the reconstruction
(:func:`f0_errors`: VDE, GPE, FFE in Hz), :func:`train_and_save` writes the shipped
``data/checkpoints/f0_vqvae.pt`` with its record, and :func:`main` is
``resynth train f0vq``.

Taught in notebook 04b (``04b_f0_vqvae``).

Example
-------
Five training steps on a made-up, always-voiced contour:

>>> t = np.arange(2000)
>>> data = [(np.sin(t / 40).astype(np.float32), np.ones(2000, bool), "a", "u1")]
>>> model, history = train_f0_vqvae(data, steps=5, batch_size=4, segment=64, width=16, code_dim=8,
...                                 progress=False)
>>> sorted(evaluate_f0_vqvae(model, data))[:3]
['bitrate_bps', 'codes_used', 'entropy_bitrate_bps']
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

from resynth_lib.core.bits import bitrate, entropy_bitrate
from resynth_lib.core.checkpoints import save_checkpoint
from resynth_lib.core.config import REPO_ROOT, RUNS_DIR, machine_info
from resynth_lib.core.rates import F0_CODE_RATE, F0_FRAMES_PER_CODE
from resynth_lib.core.training import TrainingCommand, TrainingLoop, seeded
from resynth_lib.pitch import f0_metrics, normalise
from resynth_lib.pitch import yin as pitch
from resynth_lib.pitch.codebook import perplexity
from resynth_lib.pitch.f0_vqvae import CHECKPOINT_PATH, COMMITMENT, F0VQVAE, _codes_and_recon, _normalise


# ------------------------------------------------------------------ data
def _default_tracker():
    return pitch.track_f0, "resynth_lib.pitch.yin.track_f0"


def speaker_log_f0_stats(tracks) -> dict:
    """Per-speaker F0 statistics from ``(speaker, f0_hz)`` pairs: :func:`resynth_lib.pitch.normalise.stats_from_tracks`.

    Taught in notebook 04b (``04b_f0_vqvae``).

    Example
    -------
    >>> s = speaker_log_f0_stats([("a", np.array([0.0, 100.0, 100.0]))])
    >>> round(float(np.exp(s["a"]["log_mean"])), 3), s["a"]["n_voiced_frames"]
    (100.0, 2)
    """
    return normalise.stats_from_tracks(tracks)


def track_split(corpus, split: str, tracker=None, cache_dir=None, progress: bool = True):
    """F0 (Hz, 0 = unvoiced) of every utterance of ``split``: list of ``(utt_id, speaker, f0)``.

    With ``cache_dir`` the tracks are kept in ``cache_dir/f0_<split>_<tracker>.npz`` and read
    back next time. Taught in notebook 04b (``04b_f0_vqvae``).

    Example
    -------
    >>> from resynth_lib.data.corpus import load_corpus
    >>> from resynth_lib.core.audio import quick_f0
    >>> from resynth_lib.data.corpus import Corpus
    >>> tracks = track_split(Corpus(load_corpus().utterances(split="test")[:1]), "test",
    ...                      tracker=lambda w: np.nan_to_num(quick_f0(w)), progress=False)
    >>> len(tracks), tracks[0][2].ndim
    (1, 1)
    """
    tracker, name = (tracker, getattr(tracker, "__name__", "custom")) if tracker is not None else _default_tracker()
    utts = corpus.utterances(split=split)
    cache = None
    if cache_dir is not None:
        tag = "".join(ch if ch.isalnum() else "_" for ch in name)[:60]
        cache = Path(cache_dir) / f"f0_{split}_{tag}_{len(utts)}.npz"
        if cache.exists():
            z = np.load(cache)
            bounds = z["offsets"]
            return [(str(u), str(s), z["f0"][bounds[i]:bounds[i + 1]])
                    for i, (u, s) in enumerate(zip(z["utt_ids"], z["speakers"]))]
    items = utts
    if progress:
        from tqdm.auto import tqdm
        items = tqdm(utts, desc=f"F0 ({split})", unit="utt")
    tracks = [(u.utt_id, u.speaker, np.nan_to_num(np.asarray(tracker(u.waveform()), np.float64), nan=0.0))
              for u in items]
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.savez(cache, utt_ids=np.array([t[0] for t in tracks]), speakers=np.array([t[1] for t in tracks]),
                 offsets=np.cumsum([0] + [len(t[2]) for t in tracks]), f0=np.concatenate([t[2] for t in tracks]))
    return tracks


def prepare_f0_data(corpus, split: str, stats=None, tracker=None, progress: bool = True, cache_dir=None):
    """``[(normalised log-F0 float32, voiced mask bool, speaker, utt_id), ...]`` for a split.

    F0 is tracked for every utterance (:func:`resynth_lib.pitch.yin.track_f0` by default) and
    normalised per speaker, ``(log f0 - log_mean) / log_std``, with unvoiced frames 0.
    ``stats`` are per-speaker statistics as :func:`resynth_lib.pitch.normalise.f0_stats` makes them;
    ``None`` computes them from the corpus TRAIN split (:func:`speaker_log_f0_stats`).
    ``cache_dir`` keeps the tracked F0 as an .npz. Taught in notebook 04b (``04b_f0_vqvae``).

    Example
    -------
    >>> from resynth_lib.data.corpus import load_corpus
    >>> from resynth_lib.core.audio import quick_f0
    >>> from resynth_lib.data.corpus import Corpus
    >>> data = prepare_f0_data(Corpus(load_corpus().utterances(split="train")[:2]), "train",
    ...                        tracker=lambda w: np.nan_to_num(quick_f0(w)), progress=False)
    >>> contour, voiced, speaker, utt_id = data[0]
    >>> contour.dtype, voiced.dtype, bool(np.all(contour[~voiced] == 0))
    (dtype('float32'), dtype('bool'), True)
    """
    tracks = track_split(corpus, split, tracker, cache_dir, progress)
    if stats is None:
        train = tracks if split == "train" else track_split(corpus, "train", tracker, cache_dir, progress)
        stats = speaker_log_f0_stats((s, f0) for _, s, f0 in train)
    out = []
    for utt_id, speaker, f0 in tracks:
        z, voiced = _normalise(f0, stats, speaker)
        out.append((z.astype(np.float32), voiced, speaker, utt_id))
    return out


def _stream(data, gap: int = 16):
    """All contours end to end (``gap`` unvoiced frames between them): ``(2, total)`` float32."""
    pad = np.zeros(gap, np.float32)
    z = np.concatenate([np.concatenate([c, pad]) for c, _, _, _ in data])
    m = np.concatenate([np.concatenate([v.astype(np.float32), pad]) for _, v, _, _ in data])
    return np.stack([z, m])


def _batch(stream, rng, batch_size, segment):
    starts = rng.integers(0, stream.shape[1] - segment, size=batch_size)
    idx = starts[:, None] + np.arange(segment)[None, :]
    return torch.from_numpy(np.ascontiguousarray(stream[:, idx].transpose(1, 0, 2)))


# ------------------------------------------------------------------ training
def train_f0_vqvae(train_data, valid_data=None, steps: int = 3000, seed: int = 0, batch_size: int = 32,
                   segment: int = 256, lr: float = 1e-3, width: int = 56, code_dim: int = 64,
                   commitment_weight: float = COMMITMENT, dead_after: int = 50, checkpoint_path=None,
                   checkpoint_every: int = 500, resume: bool = False, progress: bool = True, valid_every: int = 0):
    """Train an :class:`F0VQVAE` with Adam on random ``segment``-frame windows; returns ``(model, history)``.

    ``train_data`` / ``valid_data`` come from :func:`prepare_f0_data`. ``history`` holds per
    step ``loss``, ``recon``, ``commitment``, ``perplexity`` and ``codes_used`` (distinct
    codes in the batch), plus ``restarts`` (dead codes restarted so far) and, every
    ``valid_every`` steps, ``valid`` (step, voiced MSE, perplexity). Every
    ``checkpoint_every`` steps and at the end, model + optimiser + random states go to
    ``checkpoint_path`` (a *resume* file: keep it under ``runs/``, never ship it);
    ``resume=True`` continues from it, giving the same result as an uninterrupted run.
    The same ``seed`` gives the same model. Taught in notebook 04b (``04b_f0_vqvae``).

    Example
    -------
    >>> t = np.arange(2000)
    >>> data = [(np.sin(t / 40).astype(np.float32), np.ones(2000, bool), "a", "u1")]
    >>> model, history = train_f0_vqvae(data, steps=5, batch_size=4, segment=64, width=16, code_dim=8,
    ...                                 progress=False)
    >>> len(history["loss"]), model.training
    (5, False)
    """
    stream = _stream(train_data)
    if stream.shape[1] <= segment:
        raise ValueError(f"training data has {stream.shape[1]} frames; need more than segment={segment}")
    if segment % F0_FRAMES_PER_CODE:
        raise ValueError(f"segment must be a multiple of {F0_FRAMES_PER_CODE}, got {segment}")
    keys = ("loss", "recon", "commitment", "perplexity", "codes_used")
    with seeded(seed):
        model = F0VQVAE(width, code_dim, commitment_weight=commitment_weight, dead_after=dead_after)
        optimiser = torch.optim.Adam(model.parameters(), lr=lr)
        rng = np.random.default_rng(seed)
        history = {k: [] for k in keys} | {"restarts": 0, "valid": []}

        def codebook_state():
            return {"unused": model.codebook.unused.clone(), "restarts": model.codebook.restarts}

        def restore_codebook(saved):
            model.codebook.unused.copy_(saved["unused"])
            model.codebook.initialised.fill_(True)
            model.codebook.restarts = saved["restarts"]

        loop = TrainingLoop("F0 VQ-VAE", steps, {"model": model, "optimiser": optimiser}, rng, history=history,
                            checkpoint_path=checkpoint_path, checkpoint_every=checkpoint_every, resume=resume,
                            log_every=1, progress=progress, extra_state=(codebook_state, restore_codebook),
                            show=lambda h: {"loss": f"{h['loss'][-1]:.3f}", "ppl": f"{h['perplexity'][-1]:.1f}"})

        def step_fn(step):
            x = _batch(stream, rng, batch_size, segment)
            _, codes, losses, ppl = model(x)
            optimiser.zero_grad()
            losses["loss"].backward()
            optimiser.step()
            history["restarts"] = model.codebook.restarts
            return {**{k: losses[k].item() for k in keys[:3]}, "perplexity": ppl.item(),
                    "codes_used": int(codes.unique().numel())}

        def validate(done):
            v = evaluate_f0_vqvae(model, valid_data)
            model.train()
            history["valid"].append({"step": done, "recon": v["recon_mse"], "perplexity": v["perplexity"]})

        model.train()
        history = loop.run(step_fn, callbacks=[(valid_every, validate)] if valid_data is not None and valid_every
                           else [])
    return model.eval(), history


def f0_errors(ref_hz, est_hz) -> dict:
    """VDE, GPE (20 %) and FFE of ``est_hz`` against ``ref_hz`` (0 = unvoiced).

    Uses :mod:`resynth_lib.pitch.yin`'s metrics. Taught in notebook 04b (``04b_f0_vqvae``).

    Example
    -------
    >>> f0_errors(np.array([100.0, 100.0, 0.0, 100.0]), np.array([100.0, 130.0, 0.0, 0.0]))
    {'vde': 0.25, 'gpe': 0.5, 'ffe': 0.5}
    """
    ref, est = np.asarray(ref_hz, np.float64), np.asarray(est_hz, np.float64)
    return {"vde": f0_metrics.vde(ref, est), "gpe": f0_metrics.gpe(ref, est), "ffe": f0_metrics.ffe(ref, est)}


def evaluate_f0_vqvae(model: F0VQVAE, data, stats: dict | None = None) -> dict:
    """Code statistics and reconstruction errors of ``model`` on whole utterances of ``data``.

    Returns ``perplexity`` and ``codes_used`` over all codes, ``recon_mse`` (normalised
    log-F0, voiced frames), and with ``stats`` also ``vde``, ``gpe``, ``ffe`` (pooled over
    all frames) and ``rmse_cents`` of decoded vs original F0 in Hz, plus the nominal and
    entropy bitrates. Taught in notebook 04b (``04b_f0_vqvae``).

    Example
    -------
    >>> data = [(np.zeros(40, np.float32), np.ones(40, bool), "a", "u")]
    >>> sorted(evaluate_f0_vqvae(F0VQVAE(), data))[:3]
    ['bitrate_bps', 'codes_used', 'entropy_bitrate_bps']
    """
    model.eval()
    all_codes, sq, n_voiced, refs, ests = [], 0.0, 0, [], []
    for contour, voiced, speaker, _ in data:
        codes, recon = _codes_and_recon(model, contour, voiced)
        all_codes.append(codes)
        sq += float(np.sum((recon - contour)[voiced] ** 2))
        n_voiced += int(voiced.sum())
        if stats is not None:
            refs.append(normalise.denormalise_f0(contour, stats, speaker, voiced=voiced))
            ests.append(normalise.denormalise_f0(recon, stats, speaker, voiced=voiced))
    codes = np.concatenate(all_codes)
    out = {"n_utterances": len(data), "n_codes_total": int(len(codes)), "perplexity": perplexity(codes, model.n_codes),
           "codes_used": int(len(np.unique(codes))), "recon_mse": sq / max(n_voiced, 1),
           "bitrate_bps": bitrate(F0_CODE_RATE, model.n_codes), "entropy_bitrate_bps": entropy_bitrate(codes)}
    if stats is not None:
        ref, est = np.concatenate(refs), np.concatenate(ests)
        out |= f0_errors(ref, est)
        v = ref > 0
        out["rmse_cents"] = float(np.sqrt(np.mean((1200 * np.log2(est[v] / ref[v])) ** 2)))
    return out


def _stats_for_training(corpus, tracker, cache_dir, progress):
    """The shipped ``data/f0_stats.json`` if there is one, else statistics of the train split's tracks."""
    path = REPO_ROOT / "data" / "f0_stats.json"
    if tracker is None and path.exists():
        return normalise.load_f0_stats(path), str(path.relative_to(REPO_ROOT))
    train = track_split(corpus, "train", tracker, cache_dir, progress)
    return speaker_log_f0_stats((s, f0) for _, s, f0 in train), "computed from the train split's F0 tracks"


def train_and_save(out=CHECKPOINT_PATH, steps: int = 6000, seed: int = 0, force: bool = False, resume: bool = False,
                   progress: bool = True, command: str | None = None, corpus=None, tracker=None,
                   cache_dir=RUNS_DIR / "f0_cache", resume_path=None, **train_kwargs) -> dict:
    """Train on the corpus train split, save float32 weights to ``out`` and a JSON record beside it.

    The record says how the model was made (command, seed, steps, wall time, machine, F0
    tracker and statistics used), the training losses averaged over the last 100 steps, and
    what it reached on the VALID split (:func:`evaluate_f0_vqvae`: perplexity, codes used,
    VDE / GPE / FFE of decoded vs original F0, bitrates). The optimiser state goes only to the
    resume file (``runs/f0_vqvae_seed<seed>.resume.pt`` unless ``resume_path``), never to
    ``out``. Refuses to overwrite ``out`` unless ``force``. Taught in notebook 04b
    (``04b_f0_vqvae``).

    Example
    -------
    >>> import tempfile
    >>> from resynth_lib.data.corpus import load_corpus
    >>> from resynth_lib.core.audio import quick_f0
    >>> from resynth_lib.data.corpus import Corpus
    >>> c = load_corpus()
    >>> tiny = Corpus([u for u in c if u.speaker == "slt" and u.split in ("train", "valid")][:30])
    >>> d = Path(tempfile.mkdtemp())
    >>> rec = train_and_save(d / "m.pt", steps=3, corpus=tiny, progress=False, cache_dir=None,
    ...                      tracker=lambda w: np.nan_to_num(quick_f0(w)), resume_path=d / "m.resume.pt",
    ...                      batch_size=4, width=16, code_dim=8)
    >>> sorted(rec["valid"])[:4]
    ['bitrate_bps', 'codes_used', 'entropy_bitrate_bps', 'ffe']
    """
    from resynth_lib.data.corpus import load_corpus
    out = Path(out)
    if out.exists() and not force and not resume:
        raise FileExistsError(f"{out} exists; pass force=True (--force) to overwrite it")
    corpus = load_corpus() if corpus is None else corpus
    resume_path = Path(resume_path) if resume_path else RUNS_DIR / f"f0_vqvae_seed{seed}.resume.pt"
    if not resume and resume_path.exists():
        resume_path.unlink()                               # a fresh run must not continue an old one
    start = time.perf_counter()
    stats, stats_source = _stats_for_training(corpus, tracker, cache_dir, progress)
    train = prepare_f0_data(corpus, "train", stats, tracker, progress, cache_dir)
    valid = prepare_f0_data(corpus, "valid", stats, tracker, progress, cache_dir)
    data_time = time.perf_counter() - start
    model, history = train_f0_vqvae(train, valid, steps=steps, seed=seed, checkpoint_path=resume_path,
                                    resume=resume, progress=progress, **train_kwargs)
    wall = time.perf_counter() - start
    tail = slice(-100, None)
    tracker_name = _default_tracker()[1] if tracker is None else getattr(tracker, "__name__", "custom")
    record = {
        "command": command or f"resynth_lib.pitch.f0_vqvae_train.train_and_save({str(out)!r}, steps={steps}, seed={seed})",
        "steps": steps, "seed": seed, "resumed": bool(resume),
        "hyperparameters": {"width": model.width, "code_dim": model.code_dim, "n_codes": model.n_codes,
                            "downsample": model.downsample, "commitment_weight": model.commitment_weight,
                            "ema_decay": model.codebook.decay, "dead_after": model.codebook.dead_after,
                            "batch_size": train_kwargs.get("batch_size", 32),
                            "segment": train_kwargs.get("segment", 256), "lr": train_kwargs.get("lr", 1e-3)},
        "parameters": int(sum(p.numel() for p in model.parameters())),
        "f0_tracker": tracker_name, "f0_stats": stats_source,
        "f0_stats_values": {sp: {k: v for k, v in st.items()} for sp, st in stats.items()},
        "train_set": {"split": "train", "utterances": len(train), "frames": int(sum(len(c) for c, *_ in train))},
        "wall_time_s": round(wall, 1), "data_prep_s": round(data_time, 1), "torch_threads": torch.get_num_threads(),
        "machine": machine_info(),
        "final_train": {k: round(float(np.mean(history[k][tail])), 4)
                        for k in ("loss", "recon", "commitment", "perplexity", "codes_used")},
        "codes_restarted": history["restarts"],
        "valid": {k: (round(v, 4) if isinstance(v, float) else v)
                  for k, v in evaluate_f0_vqvae(model, valid, stats).items()},
    }
    save_checkpoint(model, out, record, force=True)
    return record


def main(argv=None) -> None:
    """The command line: ``resynth train f0vq [--steps N] [--seed S] [--out PATH] [--resume] [--force]``.

    Taught in notebook 04b (``04b_f0_vqvae``).

    Example
    -------
    >>> main(["--help"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    SystemExit: 0
    """
    parser = TrainingCommand("resynth train f0vq", main.__doc__)
    parser.add_argument("--steps", type=int, default=6000)
    parser.add_argument("--out", type=Path, default=CHECKPOINT_PATH)
    parser.add_argument("--resume", action="store_true", help="continue from runs/f0_vqvae_seed<S>.resume.pt")
    args = parser.parse_args(argv)
    command = "resynth train f0vq " + " ".join(sys.argv[1:] if argv is None else argv)
    record = train_and_save(args.out, steps=args.steps, seed=args.seed, force=args.force, resume=args.resume,
                            command=command.strip())
    print(json.dumps(record["valid"], indent=2))
    print(f"saved {args.out} and {args.out.with_suffix('.json')}")


if __name__ == "__main__":
    main()
