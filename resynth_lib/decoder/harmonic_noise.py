"""A neural waveform stage: log-mel + F0 + voicing -> harmonics + filtered noise (a learnt source-filter model).

Griffin-Lim must *guess* a phase for every bin. Speech already tells us most of it:
voiced sounds are sums of harmonics of F0, unvoiced sounds are shaped noise. This stage
keeps that structure and learns only the filters:

* a small convolutional network reads the log-mel (and the log-F0 and voicing) at
  50 Hz and outputs two spectral envelopes per frame: one for the harmonics (256 linear
  bins, 0-8 kHz) and one for the noise (64 bins);
* harmonic ``k`` gets the harmonic envelope's value at ``k F0`` (so shifting F0 moves the
  harmonics under a fixed envelope: pitch control stays exact), and is switched off
  where the frame is unvoiced or ``k F0`` passes 7.8 kHz;
* white noise is filtered by the noise envelope in the STFT domain (5 ms hop);
* the two are summed. Training minimises a multi-resolution STFT loss (log magnitude
  L1 + spectral convergence at three FFT sizes): no GAN, no phase to learn.

This is the differentiable harmonic-plus-noise idea (DDSP, Engel et al. 2020; NSF,
Wang et al. 2019) sized for a CPU. Trained by ``resynth train harmonic-noise``
(:func:`train_harmonic_noise`); compared with Griffin-Lim in notebook 06d
(``06d_harmonic_noise_and_choice``).

Example
-------
>>> net = HarmonicNoiseVocoder(channels=32)
>>> wav = net(torch.zeros(1, 10, 80), torch.full((1, 40), 120.0), torch.ones(1, 40))
>>> tuple(wav.shape)
(1, 3200)
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch
from torch import nn

from resynth_lib.core.config import CHECKPOINT_DIR
from resynth_lib.core.rates import F0_FRAMES_PER_UNIT, F0_HOP, HOP, N_MELS, SAMPLE_RATE
from resynth_lib.core.training import TrainingCommand, TrainingLoop, cosine_lr, seeded
from resynth_lib.decoder.acoustic import LOG_F0_CENTRE, LOG_F0_SCALE, ResidualConv

N_HARMONICS = 150                    #: enough for F0 down to 52 Hz below 7.8 kHz
MAX_HARMONIC_HZ = 7800.0
ENVELOPE_BINS = 256                  #: harmonic envelope resolution: 31.25 Hz
NOISE_BINS = 64
NOISE_FFT = 512
MEL_CENTRE, MEL_SCALE = -5.0, 3.0    #: log-mel is fed as (mel + 5) / 3
RESOLUTIONS = ((512, 128, 512), (1024, 256, 1024), (256, 64, 256))   #: (n_fft, hop, window) of the STFT loss


def _upsample(x: torch.Tensor, factor: int) -> torch.Tensor:
    """Linear interpolation along the last axis: ``(..., n) -> (..., n * factor)``."""
    shape = x.shape
    y = torch.nn.functional.interpolate(x.reshape(-1, 1, shape[-1]), scale_factor=factor, mode="linear",
                                        align_corners=False)
    return y.reshape(*shape[:-1], shape[-1] * factor)


def harmonic_amplitudes(envelope: torch.Tensor, f0_hz: torch.Tensor) -> torch.Tensor:
    """Amplitude of each harmonic: ``envelope (B, F, bins)`` (0 to 8 kHz, linear) read at ``k f0`` by linear interpolation.

    Returns ``(B, F, 150)``; harmonics at or above :data:`MAX_HARMONIC_HZ` get 0 (they
    would alias or fall outside the envelope). Students write this in notebook 06d.

    >>> env = torch.linspace(0, 1, 5)[None, None]           # 0 at 0 Hz ... 1 at 8 kHz: a ramp
    >>> harmonic_amplitudes(env, torch.tensor([[2000.0]]))[0, 0, :4].tolist()
    [0.25, 0.5, 0.75, 0.0]
    """
    bins = envelope.shape[-1]
    freqs = f0_hz[..., None] * torch.arange(1, N_HARMONICS + 1, dtype=f0_hz.dtype, device=f0_hz.device)
    pos = (freqs / (SAMPLE_RATE / 2) * (bins - 1)).clamp(0, bins - 1)
    lo = pos.floor().long().clamp(max=bins - 2)
    frac = pos - lo
    amp = torch.gather(envelope, 2, lo) * (1 - frac) + torch.gather(envelope, 2, lo + 1) * frac
    return amp * (freqs < MAX_HARMONIC_HZ)


def harmonic_synth(envelope: torch.Tensor, f0_hz: torch.Tensor, voiced: torch.Tensor,
                   phase0: float = 0.0) -> torch.Tensor:
    """Sum of harmonics of ``f0_hz (B, 4T)`` with amplitudes read off ``envelope (B, 4T, bins)`` (linear, 0-8 kHz).

    ``voiced (B, 4T)`` in [0, 1] gates each 5 ms frame; the fundamental starts at phase
    ``phase0`` (to continue a previous chunk). Returns ``(B, 320 T)``. The voiced half
    of the waveform stage of notebook 06d.

    >>> env = torch.ones(1, 8, 256)
    >>> harmonic_synth(env, torch.full((1, 8), 200.0), torch.ones(1, 8)).shape
    torch.Size([1, 640])
    """
    # harmonics at or above MAX_HARMONIC_HZ have amplitude 0 at every frame: skip them (same output, faster)
    n_used = min(N_HARMONICS, max(1, math.ceil(MAX_HARMONIC_HZ / max(float(f0_hz.min()), 1.0))))
    k = torch.arange(1, n_used + 1, dtype=f0_hz.dtype, device=f0_hz.device)
    amp = harmonic_amplitudes(envelope, f0_hz)[..., :n_used] * voiced[..., None]   # (B, F, K)
    amp = _upsample(amp.transpose(1, 2), F0_HOP)                          # (B, K, samples)
    f0_samples = _upsample(f0_hz, F0_HOP)
    phase = phase0 + 2 * math.pi * torch.cumsum(f0_samples / SAMPLE_RATE, dim=-1)
    return (amp * torch.sin(phase[:, None] * k[None, :, None])).sum(1)


def noise_synth(noise_envelope: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """White noise shaped by ``noise_envelope (B, 4T, bins)`` (linear magnitudes, 0-8 kHz), ``(B, 320 T)``.

    The noise is filtered in the STFT domain, one 5 ms frame per envelope row; pass a
    seeded ``generator`` for repeatable output. The unvoiced half of the waveform stage
    of notebook 06d (fricatives, breath, bursts).

    >>> noise_synth(torch.ones(2, 8, 64), torch.Generator().manual_seed(0)).shape
    torch.Size([2, 640])
    """
    B, F, bins = noise_envelope.shape
    n = F * F0_HOP
    noise = torch.rand(B, n, generator=generator, device=noise_envelope.device) * 2 - 1
    window = torch.hann_window(NOISE_FFT, device=noise.device)
    spec = torch.stft(noise, NOISE_FFT, F0_HOP, window=window, center=True, return_complex=True)[..., :F]
    gain = torch.nn.functional.interpolate(noise_envelope, size=NOISE_FFT // 2 + 1, mode="linear",
                                           align_corners=True).transpose(1, 2)
    spec = torch.cat([spec * gain, spec[..., -1:] * 0], dim=-1)
    return torch.istft(spec, NOISE_FFT, F0_HOP, window=window, center=True, length=n)


class HarmonicNoiseVocoder(nn.Module):
    """``(mel (B, T, 80), f0_hz (B, 4T), voiced (B, 4T)) -> waveform (B, 320 T)``.

    Arguments: ``channels`` (network width), ``n_mels``. The network sees the mel frames,
    the log-F0 and the voicing; its two envelope outputs are exponentiated log-amplitudes.
    Taught in notebook 06d (``06d_harmonic_noise_and_choice``).

    Example
    -------
    >>> v = HarmonicNoiseVocoder(channels=16)
    >>> v(torch.zeros(2, 4, 80), torch.full((2, 16), 100.0), torch.zeros(2, 16)).shape
    torch.Size([2, 1280])
    """

    def __init__(self, channels: int = 192, n_mels: int = N_MELS):
        super().__init__()
        self.config = {"channels": channels, "n_mels": n_mels}
        self.inp = nn.Conv1d(n_mels + 2 * F0_FRAMES_PER_UNIT, channels, 3, padding=1)
        self.convs = nn.Sequential(*[ResidualConv(channels, 3, d, dropout=0.0) for d in (1, 2, 1)])
        self.out = nn.Conv1d(channels, F0_FRAMES_PER_UNIT * (ENVELOPE_BINS + NOISE_BINS), 1)
        nn.init.zeros_(self.out.weight)
        nn.init.constant_(self.out.bias, -5.0)

    def envelopes(self, mel, f0_hz, voiced) -> tuple[torch.Tensor, torch.Tensor]:
        """``(harmonic (B, 4T, 256), noise (B, 4T, 64))`` linear envelopes at 5 ms."""
        B, T, _ = mel.shape
        log_f0 = ((torch.log(f0_hz.clamp_min(20.0)) - LOG_F0_CENTRE) / LOG_F0_SCALE).reshape(B, T, F0_FRAMES_PER_UNIT)
        x = torch.cat([(mel - MEL_CENTRE) / MEL_SCALE, log_f0, voiced.reshape(B, T, F0_FRAMES_PER_UNIT)], dim=-1)
        h = self.out(self.convs(self.inp(x.transpose(1, 2))))                    # (B, 4 * bins, T)
        h = h.reshape(B, F0_FRAMES_PER_UNIT, ENVELOPE_BINS + NOISE_BINS, T).permute(0, 3, 1, 2)
        h = torch.exp(h.reshape(B, T * F0_FRAMES_PER_UNIT, -1).clamp(max=4.0))
        return h[..., :ENVELOPE_BINS], h[..., ENVELOPE_BINS:]

    def forward(self, mel, f0_hz, voiced, generator=None):
        harmonic_env, noise_env = self.envelopes(mel, f0_hz, voiced)
        return harmonic_synth(harmonic_env, f0_hz, voiced) + noise_synth(noise_env, generator)


def stft_loss(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """Multi-resolution STFT loss: mean over :data:`RESOLUTIONS` of log-magnitude L1 + spectral convergence.

    ``real`` / ``fake``: waveforms ``(B, samples)``. It compares magnitudes only, so the
    noise and the harmonic phases need not match sample by sample. Taught in notebook 06d
    (``06d_harmonic_noise_and_choice``).

    >>> x = torch.randn(1, 4000)
    >>> float(stft_loss(x, x))
    0.0
    """
    total = 0.0
    for n_fft, hop, win in RESOLUTIONS:
        window = torch.hann_window(win, device=real.device)
        mags = [torch.stft(x, n_fft, hop, win, window, return_complex=True).abs().clamp_min(1e-7)
                for x in (real, fake)]
        sc = torch.linalg.norm(mags[0] - mags[1]) / torch.linalg.norm(mags[0]).clamp_min(1e-7)
        total = total + sc + (mags[0].log() - mags[1].log()).abs().mean()
    return total / len(RESOLUTIONS)


@torch.no_grad()
def synthesise_stream(vocoder: HarmonicNoiseVocoder, mel, f0_hz, voiced, chunk: int = 250, seed: int = 0):
    """Yield the waveform of ``mel (T, 80)``, ``f0_hz (4T,)``, ``voiced (4T,)`` one chunk of ``chunk`` frames at a time.

    Harmonic phases continue across chunks (each chunk starts where the last one's F0
    integral ended), so chunking leaves no click, and each chunk is final when yielded:
    ``resynth decode`` writes it to disk at once. The envelopes of a chunk see 4 frames of
    context on each side. Memory does not grow with length: a 5 s chunk holds up to 150
    harmonics x 80 000 samples at a time. The noise is seeded by ``seed``, so the output is
    repeatable. ``mel``, ``f0_hz`` and ``voiced`` only have to support slices. Taught in
    notebook 06d (``06d_harmonic_noise_and_choice``).

    >>> v = HarmonicNoiseVocoder(channels=16)
    >>> [len(p) for p in synthesise_stream(v, np.zeros((12, 80)), np.full(48, 100.0), np.ones(48), chunk=5)]
    [1600, 1600, 640]
    """
    vocoder.eval()
    gen = torch.Generator().manual_seed(seed)
    T, phase0, ctx, k = len(mel), 0.0, 4, F0_FRAMES_PER_UNIT

    def tensor(x):
        return torch.as_tensor(np.asarray(x, np.float32))
    for start in range(0, T, chunk):
        lo, hi, end = max(0, start - ctx), min(T, start + chunk + ctx), min(start + chunk, T)
        h_env, n_env = vocoder.envelopes(tensor(mel[lo:hi])[None], tensor(f0_hz[k * lo:k * hi])[None],
                                         tensor(voiced[k * lo:k * hi])[None])
        a, b = k * (start - lo), k * (end - lo)
        f0_c = tensor(f0_hz[k * start:k * end])[None]
        wav = harmonic_synth(h_env[:, a:b], f0_c, tensor(voiced[k * start:k * end])[None], phase0) + \
            noise_synth(n_env[:, a:b], gen)
        phase0 = math.fmod(phase0 + float((_upsample(f0_c, F0_HOP) / SAMPLE_RATE).sum()) * 2 * math.pi, 2 * math.pi)
        yield wav[0].numpy()


def synthesise(vocoder: HarmonicNoiseVocoder, mel, f0_hz, voiced, chunk: int = 250, seed: int = 0) -> np.ndarray:
    """``mel (T, 80)``, ``f0_hz (4T,)``, ``voiced (4T,)`` -> waveform ``(320 T,)``: :func:`synthesise_stream` joined.

    Taught in notebook 06d (``06d_harmonic_noise_and_choice``).

    >>> v = HarmonicNoiseVocoder(channels=16)
    >>> synthesise(v, np.zeros((12, 80)), np.full(48, 100.0), np.ones(48), chunk=5).shape
    (3840,)
    """
    return np.concatenate(list(synthesise_stream(vocoder, mel, f0_hz, voiced, chunk, seed))).astype(np.float32)


def training_f0(item: dict) -> np.ndarray:
    """The F0 a training window is synthesised with: the tracker's where voiced, the codes' elsewhere (5 ms).

    ``item`` needs ``units`` (its length sets the output's, ``4 T``), ``f0_track`` (the
    tracker's contour, 0 = unvoiced; zero-padded if short) and ``f0_hz`` (decoded from
    the F0 codes). On voiced frames the tracker's F0 makes the synthetic harmonics line up
    with the real recording the loss compares against. Taught in notebook 06d
    (``06d_harmonic_noise_and_choice``).

    Example
    -------
    >>> item = {"units": np.zeros(2, int), "f0_track": np.array([0, 0, 110, 120, 130, 0.0]),
    ...         "f0_hz": np.full(8, 100.0)}
    >>> training_f0(item).tolist()
    [100.0, 100.0, 110.0, 120.0, 130.0, 100.0, 100.0, 100.0]
    """
    n = F0_FRAMES_PER_UNIT * len(item["units"])
    track = np.asarray(item["f0_track"], np.float32)[:n]
    track = np.concatenate([track, np.zeros(n - len(track), np.float32)])
    return np.where(track > 0, track, np.asarray(item["f0_hz"], np.float32)[:n])


def _batch(data: list[dict], batch_size: int, frames: int, rng, mel_key: str = "mel") -> tuple:
    mel, f0, voiced, wav = [], [], [], []
    long_enough = [d for d in data if len(d["units"]) >= frames]
    for i in rng.integers(len(long_enough), size=batch_size):
        d = long_enough[i]
        s = int(rng.integers(len(d["units"]) - frames + 1))
        mel.append(d[mel_key][s:s + frames])
        f0.append(training_f0(d)[F0_FRAMES_PER_UNIT * s:F0_FRAMES_PER_UNIT * (s + frames)])
        voiced.append(np.asarray(d["voiced"], np.float32).reshape(-1)[F0_FRAMES_PER_UNIT * s:F0_FRAMES_PER_UNIT * (s + frames)])
        wav.append(d["wav"][HOP * s:HOP * (s + frames)])
    return tuple(torch.from_numpy(np.stack(x).astype(np.float32)) for x in (mel, f0, voiced, wav))


def train_harmonic_noise(data: list[dict], steps: int = 2000, batch_size: int = 8, frames: int = 48,
                         lr: float = 2e-3, channels: int = 192, seed: int = 0, mel_key: str = "mel",
                         init: HarmonicNoiseVocoder | None = None, checkpoint_path=None,
                         checkpoint_every: int = 250, resume: bool = False, progress: bool = True,
                         log_every: int = 25):
    """Fit a :class:`HarmonicNoiseVocoder` to the audio of ``data`` (items of
    :func:`resynth_lib.decoder.acoustic_train.acoustic_data`): multi-resolution STFT loss, AdamW,
    cosine learning rate. ``mel_key="mel_predicted"`` trains on the acoustic model's mel
    (fine-tuning ``init``). Returns ``(vocoder, history)``. Taught in notebook 06d.

    >>> rng = np.random.default_rng(0)
    >>> d = {"units": np.zeros(20, int), "mel": rng.standard_normal((20, 80)).astype(np.float32) - 5,
    ...      "f0_track": np.full(80, 120.0), "f0_hz": np.full(80, 118.0), "voiced": np.ones((20, 4), bool),
    ...      "wav": (0.1 * rng.standard_normal(6400)).astype(np.float32)}
    >>> v, hist = train_harmonic_noise([d], steps=2, batch_size=2, frames=8, channels=16, progress=False,
    ...                                log_every=1)
    >>> len(hist["loss"])
    2
    """
    with seeded(seed):
        vocoder = init if init is not None else HarmonicNoiseVocoder(channels)
        opt = torch.optim.AdamW(vocoder.parameters(), lr)
        rng = np.random.default_rng(seed)
        gen = torch.Generator().manual_seed(seed)
        loop = TrainingLoop("harmonic-noise stage", steps, {"model": vocoder, "opt": opt}, rng,
                            history={"step": [], "loss": [], "seconds": 0.0}, generators={"noise": gen},
                            checkpoint_path=checkpoint_path, checkpoint_every=checkpoint_every, resume=resume,
                            log_every=log_every, progress=progress)

        def step_fn(step):
            mel, f0, voiced, real = _batch(data, batch_size, frames, rng, mel_key)
            loss = stft_loss(real, vocoder(mel, f0, voiced, gen))
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(vocoder.parameters(), 1.0)
            opt.step()
            return {"loss": loss.item()}

        vocoder.train()
        history = loop.run(step_fn, cosine_lr(lr, steps, floor=0.05), [opt])
    return vocoder.eval(), history


def load_harmonic_noise(path=None) -> HarmonicNoiseVocoder:
    """The shipped stage (``data/checkpoints/harmonic_noise.pt``) or the one at ``path``, in eval mode.

    ``path`` is a file written by ``resynth train harmonic-noise``; the sizes come from it
    (notebook 06d).

    >>> load_harmonic_noise().config["n_mels"]
    80
    """
    from resynth_lib.core.checkpoints import load_checkpoint
    from resynth_lib.core.config import DATA_DIR
    return load_checkpoint(HarmonicNoiseVocoder, path if path is not None else
                        DATA_DIR / "checkpoints" / "harmonic_noise.pt", "train one with `resynth train harmonic-noise`")


def main(argv=None) -> int:
    """``resynth train harmonic-noise``: the learnt source-filter waveform stage on ground-truth log-mel.

    ``argv`` holds the options after ``resynth train harmonic-noise`` (``--help`` lists
    them); ``--finetune-from`` continues from a checkpoint on the acoustic model's
    predicted log-mel. Training the shipped stage took about half an hour, so the example
    only shows how the command reaches this function. Taught in notebook 06d
    (``06d_harmonic_noise_and_choice``).

    Example
    -------
    >>> from resynth_lib.cli.main import resolve
    >>> resolve(("train", "harmonic-noise")) is main
    True
    """

    from resynth_lib.core.checkpoints import save_checkpoint
    from resynth_lib.core.config import machine_info
    from resynth_lib.decoder.acoustic_train import cached_acoustic_data
    parser = TrainingCommand("resynth train harmonic-noise", main.__doc__)
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--frames", type=int, default=48, help="window length in 20 ms frames")
    parser.add_argument("--channels", type=int, default=192)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--out", default=str(CHECKPOINT_DIR
                                             / "harmonic_noise.pt"))
    parser.add_argument("--resume", action="store_true", help="continue from runs/<out>_resume.pt")
    parser.add_argument("--finetune-from", default=None, metavar="CHECKPOINT",
                        help="start from this stage and train on the shipped acoustic model's PREDICTED log-mel "
                             "(so the stage learns the acoustic model's smoothing)")
    parser.add_argument("--acoustic", default=None, metavar="CHECKPOINT",
                        help="with --finetune-from: the acoustic model that predicts the log-mel (default: the "
                             "shipped acoustic.pt); its codebook picks the units")
    args = parser.parse_args(argv)
    out = parser.output(args)
    from resynth_lib.decoder.acoustic import load_acoustic_model, predict
    acoustic = load_acoustic_model(args.acoustic)
    data = cached_acoustic_data("train", n_units=int(acoustic.config["n_units"]))
    init, mel_key, trained_on = None, "mel", "ground-truth log-mel of the train split"
    if args.finetune_from:
        init, mel_key = load_harmonic_noise(args.finetune_from).train(), "mel_predicted"
        trained_on = (f"{args.finetune_from}, then the predicted log-mel of the train split by "
                      f"{args.acoustic or 'the shipped acoustic model'}")
        for d in data:
            d["mel_predicted"] = predict(acoustic, d["units"], d["f0_codes"], d["speaker"], d["f0_hz"])[0]
    vocoder, history = train_harmonic_noise(data, args.steps, args.batch_size, args.frames, args.lr, args.channels,
                                            args.seed, mel_key=mel_key, init=init,
                                            checkpoint_path=Path("runs") / f"{out.stem}_resume.pt",
                                            resume=args.resume)
    record = {"command": "resynth train harmonic-noise " + " ".join(argv or []), "steps": args.steps,
              "batch_size": args.batch_size, "frames": args.frames, "lr": args.lr, "seed": args.seed,
              "trained_on": trained_on,
              "parameters": sum(p.numel() for p in vocoder.parameters()), "torch_threads": torch.get_num_threads(),
              "wall_seconds": round(history["seconds"], 1), "final_loss": history["loss"][-1],
              "loss_curve": {k: history[k] for k in ("step", "loss")}, "machine": machine_info()}
    save_checkpoint(vocoder, out, record, force=args.force)
    print(f"wrote {out} ({history['seconds']:.0f} s; final STFT loss {history['loss'][-1]:.3f})")
    return 0
