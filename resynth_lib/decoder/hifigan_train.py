"""Training the HiFi-GAN vocoder: data from the three code streams, the GAN loop, multi-process runs.

* :func:`prepare_vocoder_data` -- the codes of many utterances (content units, F0 codes,
  decoded F0, made one utterance at a time by
  :func:`resynth_lib.decoder.codes.utterance_codes`) with the waveform and speaker index;
* :func:`random_windows` -- a training batch: short windows cut from those items;
* :func:`train_vocoder` -- alternating discriminator and generator updates (AdamW,
  betas 0.8/0.99, exponential learning-rate decay as in HiFi-GAN) on random windows;
  resumable from ``checkpoint_path``; under ``torchrun`` every process trains on its own
  windows and DistributedDataParallel averages the gradients;
* :func:`write_sample` -- a WAV file and a spectrogram figure to follow training by ear;
* ``resynth train vocoder`` -- the command (:func:`main`), with ``--device`` and ``torchrun``.

The model itself (:class:`~resynth_lib.decoder.hifigan.Vocoder`, saving and loading) is in
:mod:`resynth_lib.decoder.hifigan`; the discriminators and losses it is trained with are
in :mod:`resynth_lib.decoder.hifigan_losses`; the codes come from
:mod:`resynth_lib.decoder.codes`. Taught in notebook 06b (``06b_hifigan_training``).
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch
from torch.nn.parallel import DistributedDataParallel

from resynth_lib.core.rates import F0_FRAMES_PER_UNIT, HOP, UNITS_PER_F0_CODE
from resynth_lib.core.training import TrainingCommand, TrainingLoop, seeded
from resynth_lib.decoder import hifigan_losses
from resynth_lib.decoder.codes import utterance_codes
from resynth_lib.decoder.hifigan import CHANNELS, CHECKPOINT_DIR, Vocoder, save_vocoder, synthesise


def prepare_vocoder_data(utterances, speakers: list[str], quantiser=None, f0_model=None, f0_stats=None,
                         progress: bool = True) -> list[dict]:
    """:func:`~resynth_lib.decoder.codes.utterance_codes` of each utterance plus its ``speaker`` index and ``utt_id``.

    ``speakers`` is the list the index refers to (the corpus's). The quantiser, F0 model
    and F0 statistics default to the shipped ones. Taught in notebook 06b
    (``06b_hifigan_training``).

    Example
    -------
    >>> from resynth_lib.data.corpus import load_corpus
    >>> corpus = load_corpus()
    >>> utt = corpus.utterances(split="valid")[0]
    >>> item = prepare_vocoder_data([utt], corpus.speakers, progress=False)[0]
    >>> item["utt_id"] == utt.utt_id, corpus.speakers[item["speaker"]] == utt.speaker
    (True, True)
    >>> len(item["wav"]) == 320 * len(item["units"]), len(item["f0_codes"]) == -(-len(item["units"]) // 4)
    (True, True)
    """
    from resynth_lib.content.units import load_quantiser
    from resynth_lib.pitch.f0_vqvae import load_f0_vqvae
    from resynth_lib.pitch.normalise import load_f0_stats
    quantiser = quantiser or load_quantiser(source="ssl")
    f0_model = f0_model or load_f0_vqvae()
    f0_stats = f0_stats or load_f0_stats(CHECKPOINT_DIR.parent / "f0_stats.json")
    items = list(utterances)
    if progress:
        from tqdm.auto import tqdm
        items = tqdm(items, desc="codes", unit="utt")
    data = []
    for utt in items:
        item = utterance_codes(utt.waveform(), utt.speaker, quantiser, f0_model, f0_stats)
        item |= {"speaker": speakers.index(utt.speaker), "utt_id": utt.utt_id}
        data.append(item)
    return data


def random_windows(data: list[dict], batch_size: int, frames: int, rng) -> tuple:
    """A batch of ``frames``-long windows starting on F0-code boundaries: units, F0 codes, speakers, audio.

    Returns ``(units (B, frames), f0_codes (B, frames // 4), speakers (B,), wav (B, 1,
    320 frames), f0_hz (B, 4 frames) or None)``; the last is ``None`` when the items hold
    no decoded F0. Utterances shorter than ``frames`` are skipped; ``frames`` must be a
    multiple of 4. Taught in notebook 06b (``06b_hifigan_training``).

    Example
    -------
    >>> data = [{"units": np.arange(40), "f0_codes": np.arange(10), "speaker": 2,
    ...          "wav": np.zeros(40 * 320, np.float32), "f0_hz": np.full(160, 120.0, np.float32)}]
    >>> units, f0, spk, wav, f0_hz = random_windows(data, batch_size=3, frames=8, rng=np.random.default_rng(0))
    >>> units.shape, f0.shape, spk.tolist(), wav.shape, f0_hz.shape
    (torch.Size([3, 8]), torch.Size([3, 2]), [2, 2, 2], torch.Size([3, 1, 2560]), torch.Size([3, 32]))
    >>> bool((f0[:, 0] == units[:, 0] // 4).all())     # each window starts where an F0 code starts
    True
    """
    if frames % UNITS_PER_F0_CODE:
        raise ValueError(f"frames must be a multiple of {UNITS_PER_F0_CODE}, got {frames}")
    long_enough = [d for d in data if len(d["units"]) >= frames]
    if not long_enough:
        raise ValueError(f"no utterance has {frames} frames; use a smaller window")
    units, f0, spk, wav, f0_hz = [], [], [], [], []
    for i in rng.integers(len(long_enough), size=batch_size):
        d = long_enough[i]
        start = UNITS_PER_F0_CODE * rng.integers((len(d["units"]) - frames) // UNITS_PER_F0_CODE + 1)
        units.append(d["units"][start:start + frames])
        f0.append(d["f0_codes"][start // UNITS_PER_F0_CODE:(start + frames) // UNITS_PER_F0_CODE])
        spk.append(d["speaker"])
        wav.append(d["wav"][start * HOP:(start + frames) * HOP])
        if "f0_hz" in d:
            f0_hz.append(d["f0_hz"][F0_FRAMES_PER_UNIT * start:F0_FRAMES_PER_UNIT * (start + frames)])
    batch = (torch.from_numpy(np.stack(units)), torch.from_numpy(np.stack(f0)), torch.tensor(spk),
             torch.from_numpy(np.stack(wav))[:, None])
    return batch + ((torch.from_numpy(np.stack(f0_hz)),) if f0_hz else (None,))


def _distributed() -> tuple[int, int]:
    """``(rank, world size)``; initialises the process group when run under ``torchrun``."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world > 1 and not torch.distributed.is_initialized():
        backend = "nccl" if torch.cuda.is_available() else "gloo"
        torch.distributed.init_process_group(backend)
    return (torch.distributed.get_rank() if world > 1 else 0), world


def train_vocoder(data: list[dict], steps: int = 1000, batch_size: int = 4, frames: int = 32, channels: int = CHANNELS,
                  n_speakers: int = 4, lr: float = 2e-4, lr_decay: float = 0.999, adversarial: bool = True,
                  seed: int = 0, checkpoint_path=None, checkpoint_every: int = 200, resume: bool = False,
                  progress: bool = True, device: str = "cpu", log_every: int = 10, stop_at: int | None = None,
                  source: bool = False, sample_item: dict | None = None, sample_dir=None,
                  sample_every: int = 500):
    """Train a :class:`Vocoder` with the multi-period and multi-scale discriminators.

    Each step: the discriminators learn to score real windows 1 and generated windows 0
    (least squares), then the generator minimises LSGAN + 2 x feature matching + 45 x mel
    L1 (``adversarial=False``: mel L1 only, no discriminators). The learning rate decays by
    ``lr_decay`` every 100 steps. Resume files hold models, optimisers and random
    states. Under ``torchrun`` each process draws its own windows (seed + rank) and
    gradients are averaged; only rank 0 writes. Every ``sample_every`` steps rank 0 decodes
    ``sample_item`` (an item of ``data``'s form) into ``sample_dir`` as a WAV file and a
    spectrogram figure (:func:`write_sample`). Returns ``(vocoder, history)``. Taught in notebook 06b.

    >>> rng = np.random.default_rng(0)
    >>> data = [{"units": rng.integers(0, 10, 40), "f0_codes": rng.integers(0, 20, 10), "speaker": 0,
    ...          "wav": (0.1 * rng.standard_normal(40 * 320)).astype(np.float32)}]
    >>> voc, hist = train_vocoder(data, steps=2, batch_size=1, frames=8, channels=16, progress=False, log_every=1)
    >>> sorted(hist)[:3], len(hist["mel"])
    (['d_loss', 'g_loss', 'mel'], 2)
    """
    rank, world = _distributed()
    n_units = int(max(d["units"].max() for d in data)) + 1
    with seeded(seed):
        vocoder = Vocoder(max(n_units, 100), 20, n_speakers, 128, channels, source).to(device)
        mpd, msd = hifigan_losses.MultiPeriodDiscriminator().to(device), hifigan_losses.MultiScaleDiscriminator().to(device)
        opt_g = torch.optim.AdamW(vocoder.parameters(), lr, betas=(0.8, 0.99))
        opt_d = torch.optim.AdamW(list(mpd.parameters()) + list(msd.parameters()), lr, betas=(0.8, 0.99))
        rng = np.random.default_rng(seed + rank)
        loop = TrainingLoop("vocoder", steps, {"vocoder": vocoder, "mpd": mpd, "msd": msd, "opt_g": opt_g,
                                               "opt_d": opt_d}, rng,
                            history={"step": [], "mel": [], "g_loss": [], "d_loss": [], "seconds": 0.0},
                            checkpoint_path=checkpoint_path, checkpoint_every=checkpoint_every, resume=resume,
                            log_every=log_every, progress=progress, stop_at=stop_at, device=device,
                            rank=rank, world=world,
                            show=lambda h: {"mel": f"{h['mel'][-1]:.3f}", "d": f"{h['d_loss'][-1]:.3f}"})
        g_model, mpd_model, msd_model = vocoder, mpd, msd
        if world > 1:
            g_model = DistributedDataParallel(vocoder)
            mpd_model, msd_model = DistributedDataParallel(mpd), DistributedDataParallel(msd)

        def step_fn(step):
            units, f0, spk, real, f0_hz = (t if t is None else t.to(device)
                                           for t in random_windows(data, batch_size, frames, rng))
            fake = g_model(units, f0, spk, f0_hz)
            d_loss = torch.zeros(())
            if adversarial:
                d_loss = sum(hifigan_losses.discriminator_loss(disc(real)[0], disc(fake.detach())[0])
                             for disc in (mpd_model, msd_model))
                opt_d.zero_grad()
                d_loss.backward()
                opt_d.step()
            terms = hifigan_losses.generator_loss(real, fake, mpd_model, msd_model, adversarial=adversarial)
            opt_g.zero_grad()
            terms["total"].backward()
            opt_g.step()
            return {"mel": terms["mel"].item(), "g_loss": terms["total"].item(), "d_loss": d_loss.item()}

        def sample(done):
            write_sample(vocoder, sample_item, sample_dir, done)
            vocoder.train()

        wants_samples = sample_item is not None and sample_dir is not None and rank == 0
        history = loop.run(step_fn, lambda step: lr * lr_decay ** (step // 100), [opt_g, opt_d],
                           callbacks=[(sample_every, sample)] if wants_samples else [])
    vocoder.eval()
    return vocoder.cpu(), history


def write_sample(vocoder: Vocoder, item: dict, folder, step: int) -> None:
    """``folder/step_NNNNNN.wav`` and ``.png`` (generated vs original log-mel): training samples to listen to.

    ``item`` holds the codes (as for :func:`~resynth_lib.decoder.hifigan.synthesise`) and
    the original ``wav``. :func:`train_vocoder` calls this every ``sample_every`` steps.
    Taught in notebook 06b (``06b_hifigan_training``).

    Example
    -------
    >>> import tempfile
    >>> voc = Vocoder(n_units=10, n_speakers=1, channels=16)
    >>> item = {"units": np.zeros(8, int), "f0_codes": np.zeros(2, int), "speaker": 0,
    ...         "wav": np.zeros(2560, np.float32)}
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     write_sample(voc, item, tmp, step=500)
    ...     print(sorted(p.name for p in Path(tmp).iterdir()))
    ['step_000500.png', 'step_000500.wav']
    """
    import matplotlib
    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    from resynth_lib.core.audio import log_mel, save_audio
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    wav = synthesise(vocoder, item)
    save_audio(folder / f"step_{step:06d}.wav", wav, overwrite=True)
    fig, axes = plt.subplots(2, 1, figsize=(8, 4), sharex=True)
    for ax, (name, w) in zip(axes, [("original", item["wav"]), (f"generated, step {step}", wav)]):
        ax.imshow(log_mel(torch.as_tensor(w)[None])[0].numpy(), origin="lower", aspect="auto")
        ax.set_title(name, fontsize=9)
    fig.tight_layout()
    fig.savefig(folder / f"step_{step:06d}.png", dpi=80)
    plt.close(fig)


def _record(args, argv, history: dict, world: int, n_train: int) -> dict:
    from resynth_lib.core.config import machine_info
    return {"command": "resynth train vocoder " + " ".join(a for a in (argv or []) if a != "--export-resume"),
            "steps": history["step"][-1] if history["step"] else 0, "batch_size": args.batch_size,
            "processes": world, "frames": args.frames, "channels": args.channels, "source": args.source,
            "units": args.units,
            "adversarial": not args.no_adversarial, "seed": args.seed, "device": args.device,
            "torch_threads": torch.get_num_threads(), "train_utterances": n_train,
            "wall_seconds": round(history["seconds"], 1), "final_mel_l1": history["mel"][-1],
            "loss_curve": {k: history[k][::10] for k in ("step", "mel", "g_loss", "d_loss")},
            "machine": machine_info()}


def _export_resume(args, argv) -> int:
    """``--export-resume``: the generator of ``runs/<out>_resume.pt`` as an inference checkpoint with its record."""
    out = Path(args.out)
    resume = Path("runs") / f"{out.stem}_resume.pt"
    if not resume.exists():
        raise SystemExit(f"error: {resume} not found: nothing to export (train first)")
    state = torch.load(resume, map_location="cpu", weights_only=False)
    cfg = {"channels": args.channels, "source": args.source}
    weights = state["state"]["vocoder"]                 # a TrainingLoop resume file (resynth_lib.core.training)
    vocoder = Vocoder(n_units=weights["conditioner.units.weight"].shape[0],
                      n_speakers=weights["conditioner.speaker.weight"].shape[0], **cfg)
    vocoder.load_state_dict(weights)
    record = _record(args, argv, state["history"], 1, -1)
    record |= {"exported_from": str(resume), "steps": state["step"], "torch_threads": args.threads or None}
    record.pop("train_utterances")
    save_vocoder(vocoder.eval(), out, record, force=args.force)
    print(f"wrote {out} from {resume} (step {state['step']})")
    return 0


def main(argv=None) -> int:
    """``resynth train vocoder``: codes of the training split, GAN training, checkpoint + record.

    ``argv`` holds the options after ``resynth train vocoder`` (``--help`` lists them).
    Training the shipped vocoder took well over an hour, so the example only shows how
    the command reaches this function. Taught in notebook 06b (``06b_hifigan_training``).

    Example
    -------
    >>> from resynth_lib.cli.main import resolve
    >>> resolve(("train", "vocoder")) is main
    True
    """

    from resynth_lib.data.corpus import load_corpus
    parser = TrainingCommand("resynth train vocoder", main.__doc__)
    parser.add_argument("--steps", type=int, default=20000)
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--frames", type=int, default=32, help="window length in 20 ms frames (multiple of 4)")
    parser.add_argument("--channels", type=int, default=CHANNELS, help="generator width (HiFi-GAN V1: 512)")
    parser.add_argument("--units", default="ssl", choices=["ssl", "mfcc"],
                        help="which shipped unit quantiser makes the content stream (notebook 03)")
    parser.add_argument("--source", action="store_true",
                        help="add the harmonic source built from the decoded F0 (beyond the paper)")
    parser.add_argument("--lr", type=float, default=2e-4)
    parser.add_argument("--no-adversarial", action="store_true", help="mel L1 only (the ablation of notebook 06b)")
    parser.add_argument("--sample-every", type=int, default=250,
                        help="write a WAV and a spectrogram of a validation utterance every N steps (runs/<out>_samples)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--out", default=str(CHECKPOINT_DIR / "vocoder.pt"))
    parser.add_argument("--resume", action="store_true", help="continue from runs/<out>_resume.pt")
    parser.add_argument("--export-resume", action="store_true",
                        help="do not train: write the inference checkpoint and record from runs/<out>_resume.pt "
                             "(ship what an interrupted or still-running run has reached)")
    args = parser.parse_args(argv)
    if args.export_resume:
        return _export_resume(args, argv)
    rank, world = _distributed()
    out = parser.output(args)
    corpus = load_corpus()
    from resynth_lib.content.units import load_quantiser
    quantiser = load_quantiser(source=args.units)
    suffix = "" if args.units == "ssl" else f"_{args.units}"
    cache = Path("runs") / f"vocoder_codes_train_f0hz{suffix}.pt"   # codes + decoded F0 of the training split
    if cache.exists():
        data = torch.load(cache, weights_only=False)
    else:
        data = prepare_vocoder_data(corpus.utterances(split="train"), corpus.speakers, quantiser, progress=rank == 0)
        if rank == 0:
            cache.parent.mkdir(exist_ok=True)
            torch.save(data, cache)
    sample = prepare_vocoder_data(corpus.utterances(split="valid")[:1], corpus.speakers, quantiser, progress=False)[0]
    vocoder, history = train_vocoder(data, args.steps, args.batch_size, args.frames, args.channels,
                                     len(corpus.speakers), args.lr, adversarial=not args.no_adversarial,
                                     seed=args.seed, checkpoint_path=Path("runs") / f"{out.stem}_resume.pt",
                                     resume=args.resume, device=args.device, source=args.source,
                                     sample_item=sample, sample_dir=Path("runs") / f"{out.stem}_samples",
                                     sample_every=args.sample_every)
    if rank == 0:
        record = _record(args, argv, history, world, len(data))
        save_vocoder(vocoder, out, record, force=args.force)
        print(f"wrote {out} ({history['seconds']:.0f} s; final mel L1 {history['mel'][-1]:.3f})")
    if world > 1:
        torch.distributed.destroy_process_group()
    return 0
