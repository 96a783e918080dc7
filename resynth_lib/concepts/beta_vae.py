"""Learned disentanglement (學習解離表徵) on data whose generative factors are known.

Taught in notebook 01b (``01b_vae_and_infogan``). Speech mixes *what* is said, *how
high* and *how loud* it is said, and *who* says it; the paper keeps these apart by
construction (units, F0 codes, speaker embedding). Here we ask whether a model can find
such factors by itself. This module holds the model and its training:

* :class:`BetaVAE` -- a small MLP variational auto-encoder; ``beta > 1`` weighs the KL term
  up, pressing each latent towards an independent unit Gaussian (Higgins et al., 2017).
* :func:`train_beta_vae`, :func:`encode` and :func:`latent_traversal` -- train it, read the
  latent means of every example, and decode while moving one latent;
* :func:`evaluate_heldout`, :func:`train_and_save`, :func:`load_beta_vae` and :func:`main`
  -- the held-out score, the shipped checkpoints and ``resynth train beta-vae``.

The data and the score live in sibling modules: :mod:`resynth_lib.concepts.vowels` makes
vowel-like frames whose three factors (F0, vowel, loudness) we chose and therefore know,
and :mod:`resynth_lib.concepts.disentanglement_metrics` computes the MIG score (Chen et
al., 2018): for every factor, how much more one latent knows about it than the runner-up.

Two trained models ship in ``data/checkpoints/`` (``beta_vae_beta1.pt``, ``beta_vae_beta4.pt``),
each with a JSON record of how it was trained and the held-out MIG it reached; re-train one
with ``resynth train beta-vae --beta 4 --out PATH``.

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

import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

from resynth_lib.concepts.disentanglement_metrics import mutual_information_gap
from resynth_lib.concepts.vowels import FACTOR_NAMES, N_BANDS, make_vowel_dataset
from resynth_lib.core.checkpoints import load_checkpoint, save_checkpoint
from resynth_lib.core.config import machine_info
from resynth_lib.core.training import TrainingCommand, TrainingLoop, seeded


# ------------------------------------------------------------------ the beta-VAE
class BetaVAE(nn.Module):
    """A small MLP variational auto-encoder: ``x -> (mu, logvar) -> z -> x_hat``.

    The encoder maps ``x`` to the mean and log-variance of a diagonal Gaussian
    ``q(z|x)``; the decoder maps a latent ``z`` back to ``x``. ``forward`` samples
    ``z = mu + exp(logvar / 2) * eps`` in training mode and uses ``z = mu`` in eval mode,
    and returns ``(recon, mu, logvar)``. Taught in notebook 01b (``01b_vae_and_infogan``).

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
        self.config = {"input_dim": input_dim, "latent_dim": latent_dim, "hidden_dim": hidden_dim}
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


def vae_loss_terms(x, recon, mu, logvar, beta: float = 1.0) -> tuple[float, float, float]:
    """``(total, reconstruction, kl)`` of :meth:`BetaVAE.loss` for numpy arrays, each averaged over the batch.

    ``reconstruction = sum_d (x_d - recon_d)^2``; ``kl = 1/2 sum_j (mu_j^2 + exp(logvar_j) -
    logvar_j - 1)``; ``total = reconstruction + beta * kl``. Exercise 1 of notebook 01b
    (``01b_vae_and_infogan``).

    Example
    -------
    >>> x = np.zeros((2, 3)); mu = np.zeros((2, 1)); logvar = np.zeros((2, 1))
    >>> vae_loss_terms(x, x + 1.0, mu, logvar, beta=4.0)           # 3 per example, a posterior equal to the prior
    (3.0, 3.0, 0.0)
    """
    x, recon, mu, logvar = (np.asarray(a, dtype=np.float64) for a in (x, recon, mu, logvar))
    reconstruction = float(((recon - x) ** 2).sum(axis=1).mean())
    kl = float((0.5 * (mu ** 2 + np.exp(logvar) - logvar - 1)).sum(axis=1).mean())
    return reconstruction + beta * kl, reconstruction, kl


def train_beta_vae(features, beta: float, steps: int = 12000, seed: int = 0, latent_dim: int = 6,
                   hidden_dim: int = 128, batch_size: int = 128, lr: float = 1e-3, device: str = "cpu",
                   progress: bool = True):
    """Train a :class:`BetaVAE` with Adam on random mini-batches; returns ``(model, history)``.

    ``history`` holds ``"loss"``, ``"reconstruction"`` and ``"kl"`` per step. The same
    ``seed`` gives the same model (initial weights, batches and noise all come from it,
    without touching the global random state). The model comes back in eval mode on the CPU.
    Taught in notebook 01b (``01b_vae_and_infogan``).

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
    with seeded(seed):
        model = BetaVAE(X.shape[1], latent_dim, hidden_dim).to(device)
        X = X.to(device)
        optimiser = torch.optim.Adam(model.parameters(), lr=lr)
        generator = torch.Generator().manual_seed(seed)

        def step_fn(step):
            batch = X[torch.randint(len(X), (batch_size,), generator=generator).to(device)]
            total, reconstruction, kl = model.loss(batch, beta)
            optimiser.zero_grad()
            total.backward()
            optimiser.step()
            return {"loss": total.item(), "reconstruction": reconstruction.item(), "kl": kl.item()}

        model.train()
        history = TrainingLoop(f"beta-VAE (beta={beta:g})", steps, {"model": model, "optimiser": optimiser},
                               history={"loss": [], "reconstruction": [], "kl": []}, log_every=1, progress=progress,
                               generators={"batches": generator},
                               show=lambda h: {"loss": f"{h['loss'][-1]:.2f}", "kl": f"{h['kl'][-1]:.2f}"}
                               ).run(step_fn)
    return model.cpu().eval(), history


@torch.no_grad()
def encode(model: BetaVAE, features, batch_size: int = 2048) -> np.ndarray:
    """The latent means ``mu`` of every example, ``(n, latent_dim)`` numpy.

    Taught in notebook 01b (``01b_vae_and_infogan``).

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
    Taught in notebook 01b (``01b_vae_and_infogan``).

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


# ------------------------------------------------------------------ checkpoints
TRAIN_SIZE, TRAIN_SEED = 4000, 0
HELDOUT_SIZE, HELDOUT_SEED = 2000, 1000          #: a different seed: examples never seen in training


def evaluate_heldout(model: BetaVAE, n: int = HELDOUT_SIZE, seed: int = HELDOUT_SEED, n_bins: int = 20) -> dict:
    """MIG (overall and per factor) and reconstruction error of ``model`` on fresh examples.

    Taught in notebook 01b (``01b_vae_and_infogan``).

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
    """Load a :class:`BetaVAE` saved by :func:`train_and_save` (:mod:`resynth_lib.core.checkpoints` format).

    Taught in notebook 01b (``01b_vae_and_infogan``).

    Example
    -------
    >>> from resynth_lib.core.config import CHECKPOINT_DIR
    >>> model = load_beta_vae(CHECKPOINT_DIR / "beta_vae_beta4.pt")
    >>> model.latent_dim
    6
    """
    return load_checkpoint(BetaVAE, path, f"train one with `resynth train beta-vae --beta 4 --out {path}`")


def train_and_save(out: str | Path, beta: float, steps: int = 12000, seed: int = 0, latent_dim: int = 6,
                   hidden_dim: int = 128, batch_size: int = 128, lr: float = 1e-3, force: bool = False,
                   progress: bool = True, command: str | None = None) -> dict:
    """Train on :data:`TRAIN_SIZE` examples, save the weights (float32 state_dict) and a JSON record.

    The record (``out`` with suffix ``.json``) says how the model was made (call, seed,
    steps, wall time, machine), the loss terms averaged over the last 100 training steps,
    and what it reached on :data:`HELDOUT_SIZE` held-out examples (:func:`evaluate_heldout`).
    Refuses to overwrite unless ``force``. Taught in notebook 01b (``01b_vae_and_infogan``).

    Example
    -------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     out = Path(tmp) / "tiny.pt"
    ...     record = train_and_save(out, beta=4.0, steps=5, progress=False)
    ...     out.with_suffix(".json").exists(), record["heldout"]["seed"] != record["train_set"]["seed"]
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
    tail = slice(-100, None)
    record = {
        "command": command or f"resynth_lib.concepts.beta_vae.train_and_save({str(out)!r}, beta={beta}, steps={steps}, seed={seed})",
        "beta": beta, "steps": steps, "seed": seed, "latent_dim": model.latent_dim, "hidden_dim": model.hidden_dim,
        "batch_size": batch_size, "lr": lr, "train_set": {"n": TRAIN_SIZE, "seed": TRAIN_SEED},
        "wall_time_s": round(wall, 1), "torch_threads": torch.get_num_threads(),
        "machine": machine_info(),
        "final_loss": round(float(np.mean(history["loss"][tail])), 4),
        "final_reconstruction": round(float(np.mean(history["reconstruction"][tail])), 4),
        "final_kl": round(float(np.mean(history["kl"][tail])), 4),
        "heldout": evaluate_heldout(model),
    }
    save_checkpoint(model, out, record, force=True)
    return record


def main(argv=None) -> None:
    """The command line: ``resynth train beta-vae --beta 4 --out data/checkpoints/beta_vae_beta4.pt``.

    Taught in notebook 01b (``01b_vae_and_infogan``).

    Prints the held-out scores and where the checkpoint and its record were written; the
    work is done by :func:`train_and_save`.

    Example
    -------
    >>> from resynth_lib.cli.main import resolve
    >>> resolve(("train", "beta-vae")) is main
    True
    """
    parser = TrainingCommand("resynth train beta-vae", main.__doc__)
    parser.add_argument("--beta", type=float, required=True)
    parser.add_argument("--steps", type=int, default=12000)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    command = "resynth train beta-vae " + " ".join(sys.argv[1:] if argv is None else argv)
    record = train_and_save(args.out, beta=args.beta, steps=args.steps, seed=args.seed, force=args.force,
                            command=command)
    print(json.dumps(record["heldout"], indent=2))
    print(f"saved {args.out} and {args.out.with_suffix('.json')}")

if __name__ == "__main__":
    main()
