"""A GAN that disentangles: InfoGAN on the vowel frames whose factors we know.

Taught in notebook 01b (``01b_vae_and_infogan``), beside the beta-VAE of
:mod:`resynth_lib.concepts.beta_vae`. The two frameworks start from opposite ends:

* the **VAE** has an encoder. It squeezes every example through a latent code and pays a
  KL price for each bit it keeps; raising beta raises the price, pressing the latents
  towards independent unit Gaussians;
* a **GAN** has no encoder: a generator ``G(z)`` turns noise into examples and a
  discriminator ``D(x)`` tells them from real ones. Nothing ties a direction of ``z`` to a
  factor of the data.

**InfoGAN** (Chen et al., 2016) splits the generator's input into unstructured noise ``z``
and a short *code* ``c``, and adds a third network ``Q(c | x)`` sharing ``D``'s body that
must read ``c`` back from ``G(z, c)``. Maximising that mutual information ``I(c; G(z, c))``
(through the variational lower bound ``E log Q(c | G(z, c))``, here a Gaussian with fixed
spread: a mean squared error) forces each code to change the output in a way ``Q`` can
see, so the easiest codes to keep are the data's strong independent factors. ``Q`` is then
the encoder, scored with the same held-out MIG as the beta-VAE.

What each buys and costs: the VAE gives an encoder and a likelihood, and stable training,
but blurry reconstructions; the GAN gives sharp samples but no likelihood, an adversarial
game that can diverge or collapse, and an encoder only through ``Q``. Notebook 06 meets the
adversarial loss again, where the vocoder's discriminators judge waveforms.

Example
-------
>>> from resynth_lib.concepts.vowels import make_vowel_dataset
>>> X, factors = make_vowel_dataset(400, seed=0)
>>> model, history = train_info_gan(X, steps=20, seed=0, progress=False)
>>> encode(model, X).shape, sorted(history)
((400, 6), ['d_loss', 'g_loss', 'info_loss'])
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from resynth_lib.concepts.disentanglement_metrics import mutual_information_gap
from resynth_lib.concepts.vowels import FACTOR_NAMES, N_BANDS, make_vowel_dataset
from resynth_lib.core.checkpoints import load_checkpoint, save_checkpoint
from resynth_lib.core.config import machine_info
from resynth_lib.core.training import TrainingCommand, TrainingLoop, seeded


def _mlp(sizes: list[int]) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(nn.LeakyReLU(0.2))
    return nn.Sequential(*layers)


class InfoGAN(nn.Module):
    """Generator ``G(z, c)``, discriminator ``D(x)`` and code reader ``Q(x)`` sharing ``D``'s body.

    ``code_dim`` continuous codes, uniform in [-1, 1], are what should become the factors;
    ``noise_dim`` Gaussian inputs carry the rest. The data are standardised with the
    training set's mean and spread (kept as buffers), so the networks see unit-scale
    inputs. Taught in notebook 01b (``01b_vae_and_infogan``).

    Example
    -------
    >>> model = InfoGAN(input_dim=64, code_dim=6, noise_dim=4)
    >>> fake = model.generate(torch.zeros(5, 4), torch.zeros(5, 6))
    >>> logit, code = model.discriminate(fake)
    >>> fake.shape, logit.shape, code.shape
    (torch.Size([5, 64]), torch.Size([5]), torch.Size([5, 6]))
    """

    def __init__(self, input_dim: int = N_BANDS, code_dim: int = 6, noise_dim: int = 4, hidden_dim: int = 128):
        super().__init__()
        self.input_dim, self.code_dim, self.noise_dim = input_dim, code_dim, noise_dim
        self.config = {"input_dim": input_dim, "code_dim": code_dim, "noise_dim": noise_dim, "hidden_dim": hidden_dim}
        self.generator = _mlp([noise_dim + code_dim, hidden_dim, hidden_dim, input_dim])
        self.body = nn.Sequential(_mlp([input_dim, hidden_dim, hidden_dim]), nn.LeakyReLU(0.2))
        self.real_or_fake = nn.Linear(hidden_dim, 1)
        self.code_reader = nn.Sequential(nn.Linear(hidden_dim, hidden_dim), nn.LeakyReLU(0.2),
                                         nn.Linear(hidden_dim, code_dim))
        self.register_buffer("mean", torch.zeros(input_dim))
        self.register_buffer("scale", torch.ones(input_dim))

    def generate(self, noise: torch.Tensor, code: torch.Tensor) -> torch.Tensor:
        """Standardised examples from noise ``(batch, noise_dim)`` and codes ``(batch, code_dim)``."""
        return self.generator(torch.cat([noise, code], dim=1))

    def discriminate(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(real-or-fake logit (batch,), code estimate (batch, code_dim))`` of standardised ``x``."""
        h = self.body(x)
        return self.real_or_fake(h).squeeze(1), self.code_reader(h)

    def standardise(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean) / self.scale

    def sample_inputs(self, batch: int, generator: torch.Generator | None = None):
        """Random ``(noise, code)``: Gaussian noise, codes uniform in [-1, 1]."""
        noise = torch.randn(batch, self.noise_dim, generator=generator)
        code = torch.rand(batch, self.code_dim, generator=generator) * 2 - 1
        return noise, code


def train_info_gan(features, steps: int = 6000, seed: int = 0, code_dim: int = 6, noise_dim: int = 4,
                   hidden_dim: int = 128, batch_size: int = 128, lr: float = 2e-4, info_weight: float = 1.0,
                   progress: bool = True):
    """Train an :class:`InfoGAN` on ``features``; returns ``(model, history)``.

    Each step: the discriminator learns real vs generated (binary cross-entropy); the
    generator and ``Q`` learn to fool it (the non-saturating loss) while ``Q`` reads the
    codes back, ``info_weight * mean squared error`` (the mutual-information bound for a
    Gaussian ``Q`` with fixed spread). ``history`` holds ``d_loss``, ``g_loss`` and
    ``info_loss`` per step. Taught in notebook 01b (``01b_vae_and_infogan``).

    Example
    -------
    >>> X, _ = make_vowel_dataset(300, seed=0)
    >>> model, h = train_info_gan(X, steps=200, seed=0, progress=False)
    >>> bool(np.mean(h["info_loss"][-20:]) < np.mean(h["info_loss"][:20]))    # Q learns to read the codes
    True
    """
    X = torch.as_tensor(np.asarray(features, dtype=np.float32))
    rng = np.random.default_rng(seed)
    with seeded(seed):
        model = InfoGAN(X.shape[1], code_dim, noise_dim, hidden_dim)
        model.mean.copy_(X.mean(0))
        model.scale.copy_(X.std(0) + 1e-6)
        real_all = model.standardise(X)
        d_params = list(model.body.parameters()) + list(model.real_or_fake.parameters())
        g_params = list(model.generator.parameters()) + list(model.code_reader.parameters())
        d_opt = torch.optim.Adam(d_params, lr, betas=(0.5, 0.999))
        g_opt = torch.optim.Adam(g_params + list(model.body.parameters()), lr, betas=(0.5, 0.999))
        history = {"d_loss": [], "g_loss": [], "info_loss": []}

        def step_fn(step):
            real = real_all[torch.from_numpy(rng.integers(0, len(X), batch_size))]
            noise, code = model.sample_inputs(batch_size)
            fake = model.generate(noise, code)
            real_logit, _ = model.discriminate(real)
            fake_logit, _ = model.discriminate(fake.detach())
            d_loss = (F.binary_cross_entropy_with_logits(real_logit, torch.ones_like(real_logit))
                      + F.binary_cross_entropy_with_logits(fake_logit, torch.zeros_like(fake_logit)))
            d_opt.zero_grad()
            d_loss.backward()
            d_opt.step()
            for p in d_params:                  # fooling D must not change D: its body learns only from Q's loss
                p.requires_grad_(False)
            logit, _ = model.discriminate(fake)
            for p in d_params:
                p.requires_grad_(True)
            g_loss = F.binary_cross_entropy_with_logits(logit, torch.ones_like(logit))
            info_loss = ((model.discriminate(fake)[1] - code) ** 2).sum(1).mean()
            g_opt.zero_grad()
            (g_loss + info_weight * info_loss).backward()
            g_opt.step()
            return {"d_loss": d_loss.item(), "g_loss": g_loss.item(), "info_loss": info_loss.item()}

        history = TrainingLoop("InfoGAN", steps, {"model": model}, rng, history=history, progress=progress,
                               log_every=max(1, steps // 50)).run(step_fn)
    return model.eval(), {k: history[k] for k in ("d_loss", "g_loss", "info_loss")}


@torch.no_grad()
def encode(model: InfoGAN, features, batch_size: int = 2048) -> np.ndarray:
    """``Q``'s code estimates of real examples, ``(n, code_dim)``: InfoGAN's encoder.

    Taught in notebook 01b (``01b_vae_and_infogan``).

    Example
    -------
    >>> encode(InfoGAN(code_dim=3), np.zeros((4, 64), np.float32)).shape
    (4, 3)
    """
    X = torch.as_tensor(np.asarray(features, dtype=np.float32))
    model.eval()
    return np.concatenate([model.discriminate(model.standardise(X[i:i + batch_size]))[1].numpy()
                           for i in range(0, len(X), batch_size)])


@torch.no_grad()
def code_traversal(model: InfoGAN, dim: int, values, seed: int = 0) -> np.ndarray:
    """Generated examples (in the data's units) with code ``dim`` set to each of ``values``, the rest fixed.

    One draw of noise and of the other codes is shared by all rows, so the rows show what
    that one code controls. Taught in notebook 01b (``01b_vae_and_infogan``).

    Example
    -------
    >>> code_traversal(InfoGAN(code_dim=4), dim=1, values=np.linspace(-1, 1, 5)).shape
    (5, 64)
    """
    if not 0 <= dim < model.code_dim:
        raise ValueError(f"dim must be in [0, {model.code_dim}), got {dim}")
    model.eval()
    values = torch.as_tensor(np.asarray(values, dtype=np.float32)).reshape(-1)
    noise, code = model.sample_inputs(1, torch.Generator().manual_seed(seed))
    noise, code = noise.repeat(len(values), 1), code.repeat(len(values), 1)
    code[:, dim] = values
    return (model.generate(noise, code) * model.scale + model.mean).numpy()


# ------------------------------------------------------------------ checkpoints (same data as the beta-VAE)
def evaluate_heldout(model: InfoGAN, n: int | None = None, seed: int | None = None, n_bins: int = 20) -> dict:
    """MIG (overall and per factor) of ``Q``'s codes on the beta-VAE's held-out examples.

    The same examples (:data:`resynth_lib.concepts.beta_vae.HELDOUT_SIZE`, seed
    ``HELDOUT_SEED``) and score as :func:`resynth_lib.concepts.beta_vae.evaluate_heldout`,
    so the two frameworks compare directly. Taught in notebook 01b (``01b_vae_and_infogan``).

    Example
    -------
    >>> sorted(evaluate_heldout(InfoGAN(), n=200))
    ['mig', 'mig_per_factor', 'n', 'seed']
    """
    from resynth_lib.concepts.beta_vae import HELDOUT_SEED, HELDOUT_SIZE
    n, seed = n or HELDOUT_SIZE, HELDOUT_SEED if seed is None else seed
    X, factors = make_vowel_dataset(n, seed)
    gaps = mutual_information_gap(encode(model, X), factors, n_bins, per_factor=True)
    return {"n": n, "seed": seed, "mig": float(np.mean(gaps)),
            "mig_per_factor": dict(zip(FACTOR_NAMES, (round(float(g), 4) for g in gaps)))}


def load_info_gan(path: str | Path) -> InfoGAN:
    """Load an :class:`InfoGAN` saved by :func:`main` (:mod:`resynth_lib.core.checkpoints` format).

    Taught in notebook 01b (``01b_vae_and_infogan``).

    Example
    -------
    >>> from resynth_lib.core.config import CHECKPOINT_DIR
    >>> load_info_gan(CHECKPOINT_DIR / "info_gan.pt").code_dim
    6
    """
    return load_checkpoint(InfoGAN, path, f"train one with `resynth train info-gan --out {path}`")


def main(argv=None) -> None:
    """``resynth train info-gan --out data/checkpoints/info_gan.pt``: train on the beta-VAE's data, score, save.

    Trains on the beta-VAE's training examples, writes the weights and a JSON record with
    the held-out MIG. Taught in notebook 01b (``01b_vae_and_infogan``).

    Example
    -------
    >>> from resynth_lib.cli.main import resolve
    >>> resolve(("train", "info-gan")) is main
    True
    """
    from resynth_lib.concepts.beta_vae import TRAIN_SEED, TRAIN_SIZE
    parser = TrainingCommand("resynth train info-gan", main.__doc__)
    parser.add_argument("--steps", type=int, default=6000)
    parser.add_argument("--info-weight", type=float, default=1.0)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    out = parser.output(args)
    start = time.perf_counter()
    X, _ = make_vowel_dataset(TRAIN_SIZE, TRAIN_SEED)
    model, history = train_info_gan(X, steps=args.steps, seed=args.seed, info_weight=args.info_weight)
    tail = slice(-100, None)
    record = {"command": "resynth train info-gan " + " ".join(sys.argv[2:] if argv is None else argv),
              "steps": args.steps, "seed": args.seed, "info_weight": args.info_weight, **model.config,
              "train_set": {"n": TRAIN_SIZE, "seed": TRAIN_SEED}, "wall_time_s": round(time.perf_counter() - start, 1),
              "torch_threads": torch.get_num_threads(), "machine": machine_info(),
              **{f"final_{k}": round(float(np.mean(v[tail])), 4) for k, v in history.items()},
              "heldout": evaluate_heldout(model)}
    save_checkpoint(model, out, record, force=True)
    print(json.dumps(record["heldout"], indent=2))
    print(f"saved {out} and {out.with_suffix('.json')}")


__all__ = ["InfoGAN", "train_info_gan", "encode", "code_traversal", "evaluate_heldout", "load_info_gan", "main"]
