"""Training the HiFi-GAN vocoder: data from the three code streams, the GAN loop, multi-process runs.

* :func:`utterance_codes` -- one utterance's content units (50 Hz, the shipped quantiser
  of notebook 03), F0 codes (12.5 Hz, the F0 VQ-VAE of notebook 04) and speaker id;
* :func:`prepare_vocoder_data` -- those codes for many utterances, with the waveform;
* :func:`train_vocoder` -- alternating discriminator and generator updates (AdamW,
  betas 0.8/0.99, exponential learning-rate decay as in HiFi-GAN) on random windows;
  resumable from ``checkpoint_path``; under ``torchrun`` every process trains on its own
  windows and DistributedDataParallel averages the gradients;
* ``resynth train vocoder`` -- the command (:func:`main`), with ``--device`` and ``torchrun``.

Taught in notebook 06 (``06_hifigan_vocoder``).
"""
from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import torch
from torch.nn.parallel import DistributedDataParallel

from . import vocoder as V
from .frames import HOP, num_frames

CHECKPOINT_DIR = Path(__file__).resolve().parent.parent / "data" / "checkpoints"
F0_PER_UNIT = 4   # 50 Hz units per 12.5 Hz F0 code


def utterance_codes(wav, speaker: str, quantiser, f0_model, f0_stats: dict) -> dict:
    """Units ``(T,)``, F0 codes ``(ceil(T / 4),)``, decoded F0 ``(4 T,)``, the waveform cut to ``320 T`` samples
    and the tracker's own contour ``f0_track`` (5 ms; 0 = unvoiced: the voicing the acoustic model learns).

    ``f0_hz`` is what the *codes* say the pitch is (:func:`decoded_f0`), not the tracker's
    contour: it drives the optional harmonic source, which must see at training time
    exactly what it will see when decoding codes.

    ``quantiser`` is a :class:`resynth_lib.units.UnitQuantiser`; ``f0_model`` and
    ``f0_stats`` come from :func:`resynth_lib.vqvae.load_f0_vqvae` and
    :func:`resynth_lib.pitch.load_f0_stats`. Taught in notebook 06.
    """
    from .pitch import track_f0
    from .vqvae import quantise_contour
    T = num_frames(wav)
    units = quantiser.units(wav)[:T]
    f0 = track_f0(wav)[:4 * T]                                     # 5 ms frames: 4 per 20 ms unit frame
    codes = quantise_contour(f0_model, f0, f0_stats, speaker)
    n_codes = -(-T // F0_PER_UNIT)
    codes = np.concatenate([codes, np.repeat(codes[-1:], max(0, n_codes - len(codes)))])[:n_codes]
    return {"wav": np.asarray(wav[:T * HOP], dtype=np.float32), "units": units.astype(np.int64),
            "f0_codes": codes.astype(np.int64), "f0_hz": decoded_f0(f0_model, codes, f0_stats, speaker, T),
            "f0_track": np.asarray(f0, np.float32)}


def decoded_f0(f0_model, f0_codes, f0_stats: dict, speaker: str, n_frames: int) -> np.ndarray:
    """F0 codes -> a continuous F0 contour in Hz, ``(4 n_frames,)`` at 5 ms, in ``speaker``'s range.

    The VQ-VAE decoder (notebook 04) is asked for every frame (voicing is left to the
    units), then de-normalised with ``speaker``'s statistics -- pass another speaker to
    move the melody into their range (voice conversion). Taught in notebook 06.
    """
    from .vqvae import decode_to_hz
    return decode_to_hz(f0_model, f0_codes, np.ones(F0_PER_UNIT * n_frames, bool), f0_stats,
                        speaker).astype(np.float32)


def prepare_vocoder_data(utterances, speakers: list[str], quantiser=None, f0_model=None, f0_stats=None,
                         progress: bool = True) -> list[dict]:
    """:func:`utterance_codes` of each utterance plus its ``speaker`` index and ``utt_id`` (shipped models by default)."""
    from .pitch import load_f0_stats
    from .units import load_quantiser
    from .vqvae import load_f0_vqvae
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
    """A batch of ``frames``-long windows starting on F0-code boundaries: units, F0 codes, speakers, audio."""
    if frames % F0_PER_UNIT:
        raise ValueError(f"frames must be a multiple of {F0_PER_UNIT}, got {frames}")
    long_enough = [d for d in data if len(d["units"]) >= frames]
    if not long_enough:
        raise ValueError(f"no utterance has {frames} frames; use a smaller window")
    units, f0, spk, wav, f0_hz = [], [], [], [], []
    for i in rng.integers(len(long_enough), size=batch_size):
        d = long_enough[i]
        start = F0_PER_UNIT * rng.integers((len(d["units"]) - frames) // F0_PER_UNIT + 1)
        units.append(d["units"][start:start + frames])
        f0.append(d["f0_codes"][start // F0_PER_UNIT:(start + frames) // F0_PER_UNIT])
        spk.append(d["speaker"])
        wav.append(d["wav"][start * HOP:(start + frames) * HOP])
        if "f0_hz" in d:
            f0_hz.append(d["f0_hz"][F0_PER_UNIT * start:F0_PER_UNIT * (start + frames)])
    batch = (torch.from_numpy(np.stack(units)), torch.from_numpy(np.stack(f0)), torch.tensor(spk),
             torch.from_numpy(np.stack(wav))[:, None])
    return batch + ((torch.from_numpy(np.stack(f0_hz)),) if f0_hz else (None,))


class Vocoder(torch.nn.Module):
    """Conditioner + generator: ``(units, f0_codes, speakers[, f0_hz]) -> waveform``.

    ``source=True`` adds the harmonic source (:func:`resynth_lib.vocoder.harmonic_source`)
    built from ``f0_hz``, the contour decoded from the F0 codes (:func:`decoded_f0`); the
    paper's vocoder is ``source=False``.

    Example
    -------
    >>> voc = Vocoder(n_units=10, n_speakers=2, channels=16)
    >>> voc(torch.zeros(1, 8, dtype=torch.long), torch.zeros(1, 2, dtype=torch.long), torch.tensor([1])).shape
    torch.Size([1, 1, 2560])
    """

    def __init__(self, n_units: int = 100, n_f0_codes: int = 20, n_speakers: int = 4, dim: int = 128,
                 channels: int = 128, source: bool = False):
        super().__init__()
        self.config = {"n_units": n_units, "n_f0_codes": n_f0_codes, "n_speakers": n_speakers, "dim": dim,
                       "channels": channels, "source": source}
        self.conditioner = V.CodeConditioner(n_units, n_f0_codes, n_speakers, dim)
        self.generator = V.HiFiGANGenerator(3 * dim, channels, source_channels=V.N_HARMONICS if source else 0)

    def forward(self, units, f0_codes, speakers, f0_hz=None, phase0=None):
        source = None
        if self.config["source"]:
            if f0_hz is None:
                raise ValueError("this vocoder uses a harmonic source: pass f0_hz (see decoded_f0)")
            source = V.harmonic_source(f0_hz, phase0=phase0)
        return self.generator(self.conditioner(units, f0_codes, speakers), source)


def _distributed() -> tuple[int, int]:
    """``(rank, world size)``; initialises the process group when run under ``torchrun``."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world > 1 and not torch.distributed.is_initialized():
        backend = "nccl" if torch.cuda.is_available() else "gloo"
        torch.distributed.init_process_group(backend)
    return (torch.distributed.get_rank() if world > 1 else 0), world


def train_vocoder(data: list[dict], steps: int = 1000, batch_size: int = 4, frames: int = 32, channels: int = 128,
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
    spectrogram figure (:func:`write_sample`). Returns ``(vocoder, history)``. Taught in notebook 06.

    >>> rng = np.random.default_rng(0)
    >>> data = [{"units": rng.integers(0, 10, 40), "f0_codes": rng.integers(0, 20, 10), "speaker": 0,
    ...          "wav": (0.1 * rng.standard_normal(40 * 320)).astype(np.float32)}]
    >>> voc, hist = train_vocoder(data, steps=2, batch_size=1, frames=8, channels=16, progress=False, log_every=1)
    >>> sorted(hist)[:3], len(hist["mel"])
    (['d_loss', 'g_loss', 'mel'], 2)
    """
    rank, world = _distributed()
    n_units = int(max(d["units"].max() for d in data)) + 1
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        vocoder = Vocoder(max(n_units, 100), 20, n_speakers, 128, channels, source).to(device)
        mpd, msd = V.MultiPeriodDiscriminator().to(device), V.MultiScaleDiscriminator().to(device)
        opt_g = torch.optim.AdamW(vocoder.parameters(), lr, betas=(0.8, 0.99))
        opt_d = torch.optim.AdamW(list(mpd.parameters()) + list(msd.parameters()), lr, betas=(0.8, 0.99))
        rng = np.random.default_rng(seed + rank)
        history = {"step": [], "mel": [], "g_loss": [], "d_loss": [], "seconds": 0.0}
        start = 0
        if resume and checkpoint_path is not None and Path(checkpoint_path).exists():
            state = torch.load(checkpoint_path, map_location=device, weights_only=False)
            for module, key in [(vocoder, "vocoder"), (mpd, "mpd"), (msd, "msd"), (opt_g, "opt_g"), (opt_d, "opt_d")]:
                module.load_state_dict(state[key])
            rng.bit_generator.state = state["numpy_rng"][rank] if world > 1 else state["numpy_rng"][0]
            torch.set_rng_state(state["torch_rng"])
            history, start = state["history"], state["step"]
        g_model, mpd_model, msd_model = vocoder, mpd, msd
        if world > 1:
            g_model = DistributedDataParallel(vocoder)
            mpd_model, msd_model = DistributedDataParallel(mpd), DistributedDataParallel(msd)
        end = steps if stop_at is None else min(stop_at, steps)
        steps_iter = range(start, end)
        if progress and rank == 0:
            from tqdm.auto import tqdm
            steps_iter = tqdm(steps_iter, desc="vocoder", unit="step", initial=start, total=end)
        t0, running = time.perf_counter(), []
        for step in steps_iter:
            lr_now = lr * lr_decay ** (step // 100)
            for opt in (opt_g, opt_d):
                for group in opt.param_groups:
                    group["lr"] = lr_now
            units, f0, spk, real, f0_hz = (t if t is None else t.to(device)
                                           for t in random_windows(data, batch_size, frames, rng))
            fake = g_model(units, f0, spk, f0_hz)
            d_loss = torch.zeros(())
            if adversarial:
                d_loss = sum(V.discriminator_loss(disc(real)[0], disc(fake.detach())[0])
                             for disc in (mpd_model, msd_model))
                opt_d.zero_grad()
                d_loss.backward()
                opt_d.step()
            terms = V.generator_loss(real, fake, mpd_model, msd_model, adversarial=adversarial)
            opt_g.zero_grad()
            terms["total"].backward()
            opt_g.step()
            running.append((terms["mel"].item(), terms["total"].item(), d_loss.item()))
            if (step + 1) % log_every == 0 or step + 1 == end:
                mel, g_total, d_total = np.mean(running, axis=0)
                running = []
                history["step"].append(step + 1)
                history["mel"].append(float(mel))
                history["g_loss"].append(float(g_total))
                history["d_loss"].append(float(d_total))
                if progress and rank == 0:
                    steps_iter.set_postfix(mel=f"{mel:.3f}", d=f"{d_total:.3f}")
            if sample_item is not None and sample_dir is not None and rank == 0 and (
                    (step + 1) % sample_every == 0 or step + 1 == end):
                write_sample(vocoder, sample_item, sample_dir, step + 1)
                vocoder.train()
            if checkpoint_path is not None and ((step + 1) % checkpoint_every == 0 or step + 1 == end):
                history["seconds"] += time.perf_counter() - t0
                t0 = time.perf_counter()
                rngs = [rng.bit_generator.state]
                if world > 1:
                    rngs = [None] * world
                    torch.distributed.all_gather_object(rngs, rng.bit_generator.state)
                if rank == 0:
                    Path(checkpoint_path).parent.mkdir(parents=True, exist_ok=True)
                    torch.save({"vocoder": vocoder.state_dict(), "mpd": mpd.state_dict(), "msd": msd.state_dict(),
                                "opt_g": opt_g.state_dict(), "opt_d": opt_d.state_dict(), "step": step + 1,
                                "history": history, "numpy_rng": rngs, "torch_rng": torch.get_rng_state()},
                               checkpoint_path)
        if checkpoint_path is None:
            history["seconds"] += time.perf_counter() - t0
    vocoder.eval()
    return vocoder.cpu(), history


@torch.no_grad()
def synthesise(vocoder: Vocoder, item: dict, speaker: int | None = None, f0_hz=None) -> np.ndarray:
    """Decode one item's codes (``units``, ``f0_codes``, ``speaker``, ``f0_hz``) into a waveform, float32.

    ``speaker`` / ``f0_hz`` override the item's (voice conversion, pitch control); an item's
    ``phase0`` starts the harmonic source there (a piece of a longer file). Taught in notebook 06.
    """
    vocoder.eval()
    device = next(vocoder.parameters()).device
    units = torch.as_tensor(item["units"])[None].to(device)
    f0 = torch.as_tensor(item["f0_codes"])[None].to(device)
    spk = torch.tensor([item["speaker"] if speaker is None else speaker], device=device)
    f0_hz = item.get("f0_hz") if f0_hz is None else f0_hz
    if vocoder.config.get("source"):
        f0_hz = torch.as_tensor(np.asarray(f0_hz, np.float32))[None, :F0_PER_UNIT * units.shape[1]].to(device)
    else:
        f0_hz = None
    phase0 = [item["phase0"]] if item.get("phase0") is not None and f0_hz is not None else None
    return vocoder(units, f0, spk, f0_hz, phase0)[0, 0].cpu().numpy()


def write_sample(vocoder: Vocoder, item: dict, folder, step: int) -> None:
    """``folder/step_NNNNNN.wav`` and ``.png`` (generated vs original log-mel): training samples to listen to."""
    import matplotlib
    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    from .audio import log_mel, save_audio
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


def save_vocoder(vocoder: Vocoder, path, record: dict, force: bool = False) -> Path:
    """Inference weights of the generator side only (config + state_dict) and a JSON record."""
    from .config import save_weights
    return save_weights(vocoder, path, record, force)


def load_vocoder(path=None) -> Vocoder:
    """Load a vocoder written by :func:`save_vocoder` (default ``data/checkpoints/vocoder.pt``)."""
    from .config import load_weights
    return load_weights(Vocoder, path if path is not None else CHECKPOINT_DIR / "vocoder.pt",
                        "train one with `resynth train vocoder`")


def _record(args, argv, history: dict, world: int, n_train: int) -> dict:
    from .config import machine_info
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
    vocoder = Vocoder(n_units=state["vocoder"]["conditioner.units.weight"].shape[0],
                      n_speakers=state["vocoder"]["conditioner.speaker.weight"].shape[0], **cfg)
    vocoder.load_state_dict(state["vocoder"])
    record = _record(args, argv, state["history"], 1, -1)
    record |= {"exported_from": str(resume), "steps": state["step"], "torch_threads": args.threads or None}
    record.pop("train_utterances")
    save_vocoder(vocoder.eval(), out, record, force=args.force)
    print(f"wrote {out} from {resume} (step {state['step']})")
    return 0


def main(argv=None) -> int:
    """``resynth train vocoder``: codes of the training split, GAN training, checkpoint + record."""
    import argparse

    from .data import load_corpus
    parser = argparse.ArgumentParser(prog="resynth train vocoder", description=main.__doc__)
    parser.add_argument("--steps", type=int, default=20000)
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--frames", type=int, default=32, help="window length in 20 ms frames (multiple of 4)")
    parser.add_argument("--channels", type=int, default=64, help="generator width (HiFi-GAN V1: 512)")
    parser.add_argument("--units", default="ssl", choices=["ssl", "mfcc"],
                        help="which shipped unit quantiser makes the content stream (notebook 03)")
    parser.add_argument("--source", action="store_true",
                        help="add the harmonic source built from the decoded F0 (beyond the paper)")
    parser.add_argument("--lr", type=float, default=2e-4)
    parser.add_argument("--no-adversarial", action="store_true", help="mel L1 only (the ablation of notebook 06)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--sample-every", type=int, default=250,
                        help="write a WAV and a spectrogram of a validation utterance every N steps (runs/<out>_samples)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads per process (0: default)")
    parser.add_argument("--out", default=str(CHECKPOINT_DIR / "vocoder.pt"))
    parser.add_argument("--resume", action="store_true", help="continue from runs/<out>_resume.pt")
    parser.add_argument("--force", action="store_true", help="replace an existing output")
    parser.add_argument("--export-resume", action="store_true",
                        help="do not train: write the inference checkpoint and record from runs/<out>_resume.pt "
                             "(ship what an interrupted or still-running run has reached)")
    args = parser.parse_args(argv)
    if args.export_resume:
        return _export_resume(args, argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    rank, world = _distributed()
    out = Path(args.out)
    if out.exists() and not args.force:
        parser.error(f"{out} exists; pass --force to replace it")
    corpus = load_corpus()
    from .units import load_quantiser
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
