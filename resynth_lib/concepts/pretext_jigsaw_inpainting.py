"""Three more pretext tasks on the digits: solve a jigsaw, fill in a hole, shade a line drawing.

Taught in notebook 02 (``02_self_supervised_pretext_tasks``), beside the rotation task of
:mod:`resynth_lib.concepts.pretext_images`. Both train the same :class:`DigitEncoder`, so
:func:`~resynth_lib.concepts.pretext_images.few_label_curve` probes all three on one curve.

* **Jigsaw** (Noroozi & Favaro, 2016): cut the 8x8 image into its four 4x4 quarters, put
  them back in one of the 4! = 24 orders, and ask which order was used. To put a "7"
  together the network has to know where strokes of digits go. (The original cuts 3x3
  tiles of large photographs and encodes each tile separately, so that the network
  cannot cheat on low-level edge continuity; at 8x8 we shuffle whole quarters of one
  image, a simplification.)
* **Inpainting** (Pathak et al., 2016, "context encoders"): blank one quarter of the image
  and ask the network to paint it back from the other three (a squared error on the
  hidden pixels only). To fill in the bottom of a "2" it has to recognise the "2".
* **Colourisation**, the grey-level analogue (Zhang et al., 2016 predict a photograph's
  colours from its grey level: "the top from the bottom"). The digits have no colour, so we
  remove what they do have beyond a line drawing: the input is the digit *binarised* at
  half intensity (:func:`binarise`), the target its grey levels. The grey levels of these
  8x8 digits are how much of each pixel the pen covered when 32x32 bitmaps were reduced, so
  restoring them needs to know where the strokes of the digit run. (The other analogue,
  colouring a grey digit by a known function of its strokes, would ask for something
  computable from the input, not hidden from it.)

Example
-------
>>> from resynth_lib.concepts.pretext_images import load_digit_splits
>>> x = load_digit_splits()[0]
>>> model, history = pretrain_jigsaw(x, steps=10, seed=0, progress=False)
>>> model(torch.zeros(2, 1, 8, 8)).shape
torch.Size([2, 24])
"""
from __future__ import annotations

from itertools import permutations

import numpy as np
import torch
from torch import nn

from resynth_lib.concepts.pretext_images import DigitEncoder, _tensor
from resynth_lib.core.training import TrainingLoop, seeded

#: the 24 orders of the four quarters (top-left, top-right, bottom-left, bottom-right)
ORDERS = torch.tensor(list(permutations(range(4))))


def _quarters(x: torch.Tensor) -> torch.Tensor:
    """``(n, 4, C, H/2, W/2)``: the four quarters of each image, row by row."""
    n, c, h, w = x.shape
    return x.reshape(n, c, 2, h // 2, 2, w // 2).permute(0, 2, 4, 1, 3, 5).reshape(n, 4, c, h // 2, w // 2)


def _assemble(q: torch.Tensor) -> torch.Tensor:
    """The inverse of :func:`_quarters`."""
    n, _, c, h, w = q.shape
    return q.reshape(n, 2, 2, c, h, w).permute(0, 3, 1, 4, 2, 5).reshape(n, c, 2 * h, 2 * w)


def shuffle_quarters(images, orders) -> torch.Tensor:
    """Each image with its quarters rearranged: position ``k`` receives quarter ``orders[i, k]``.

    ``orders`` holds one row of :data:`ORDERS` (or its index) per image. Taught in notebook 02.

    Example
    -------
    >>> x = torch.arange(16.0).reshape(1, 1, 4, 4)
    >>> shuffle_quarters(x, torch.tensor([[3, 2, 1, 0]]))[0, 0].tolist()     # every quarter moved across
    [[10.0, 11.0, 8.0, 9.0], [14.0, 15.0, 12.0, 13.0], [2.0, 3.0, 0.0, 1.0], [6.0, 7.0, 4.0, 5.0]]
    """
    x, orders = _tensor(images), torch.as_tensor(orders)
    if orders.ndim == 1:
        orders = ORDERS[orders]
    q = _quarters(x)
    return _assemble(q[torch.arange(len(x))[:, None], orders])


def blank_quarter(images, which) -> tuple[torch.Tensor, torch.Tensor]:
    """``(images with quarter which[i] set to 0, mask of the blanked pixels)``, both ``(n, 1, H, W)``.

    Taught in notebook 02.

    Example
    -------
    >>> holed, mask = blank_quarter(torch.ones(1, 1, 4, 4), torch.tensor([0]))
    >>> holed[0, 0].tolist()[0], int(mask.sum())
    ([0.0, 0.0, 1.0, 1.0], 4)
    """
    x = _tensor(images)
    which = torch.as_tensor(which)
    mask_q = torch.zeros(len(x), 4, *x.shape[1:2], x.shape[2] // 2, x.shape[3] // 2)
    mask_q[torch.arange(len(x)), which] = 1.0
    mask = _assemble(mask_q)
    return x * (1 - mask), mask


class PretextNet(nn.Module):
    """A :class:`DigitEncoder` and a linear head on its last layer: ``n_out`` classes or pixels.

    The jigsaw uses 24 outputs (one per order); inpainting 64 (the pixels of an 8x8
    image, through a sigmoid). Taught in notebook 02.

    Example
    -------
    >>> PretextNet(64, DigitEncoder(width=8))(torch.zeros(3, 1, 8, 8)).shape
    torch.Size([3, 64])
    """

    def __init__(self, n_out: int, encoder: DigitEncoder | None = None):
        super().__init__()
        self.encoder = encoder if encoder is not None else DigitEncoder()
        self.head = nn.Linear(self.encoder.feature_dim("conv3"), n_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.encoder(x))


def _pretrain(task: str, train_images, steps: int, seed: int, width: int, batch_size: int, lr: float,
              progress: bool):
    X = _tensor(train_images)
    if X.ndim != 4 or X.shape[-1] % 2 or X.shape[-2] % 2:
        raise ValueError(f"train_images must be (n, 1, H, W) with even H and W, got shape {tuple(X.shape)}")
    with seeded(seed):
        model = PretextNet(len(ORDERS) if task == "jigsaw" else X.shape[-1] * X.shape[-2], DigitEncoder(width))
        optimiser = torch.optim.Adam(model.parameters(), lr=lr)
        generator = torch.Generator().manual_seed(seed)

        def step_fn(step):
            batch = X[torch.randint(len(X), (batch_size,), generator=generator)]
            if task == "jigsaw":
                label = torch.randint(len(ORDERS), (batch_size,), generator=generator)
                logits = model(shuffle_quarters(batch, label))
                loss = nn.functional.cross_entropy(logits, label)
                return _update(loss, {"accuracy": (logits.argmax(1) == label).float().mean().item()})
            if task == "colourisation":
                shaded = torch.sigmoid(model(binarise(batch))).reshape(batch.shape)
                return _update(((shaded - batch) ** 2).mean(), {})
            holed, mask = blank_quarter(batch, torch.randint(4, (batch_size,), generator=generator))
            painted = torch.sigmoid(model(holed)).reshape(batch.shape)
            loss = ((painted - batch) ** 2 * mask).sum() / mask.sum()
            return _update(loss, {})

        def _update(loss, extra):
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            return {"loss": loss.item(), **extra}

        model.train()
        keys = {"loss": [], **({"accuracy": []} if task == "jigsaw" else {})}
        history = TrainingLoop(f"{task} pretext", steps, {"model": model, "optimiser": optimiser}, history=keys,
                               log_every=1, progress=progress, generators={"batches": generator}).run(step_fn)
    return model.eval(), history


def pretrain_jigsaw(train_images, steps: int = 1000, seed: int = 0, width: int = 16, batch_size: int = 64,
                    lr: float = 1e-3, progress: bool = True):
    """Train a :class:`PretextNet` to tell which of the 24 orders shuffled each image's quarters.

    Returns ``(model, history)`` with per-step ``"loss"`` and ``"accuracy"``; the encoder is
    ``model.encoder``. Taught in notebook 02 (``02_self_supervised_pretext_tasks``).

    Example
    -------
    >>> from resynth_lib.concepts.pretext_images import load_digit_splits
    >>> model, h = pretrain_jigsaw(load_digit_splits()[0], steps=40, seed=0, progress=False)
    >>> bool(np.mean(h["loss"][-5:]) < h["loss"][0])
    True
    """
    return _pretrain("jigsaw", train_images, steps, seed, width, batch_size, lr, progress)


def pretrain_inpainting(train_images, steps: int = 1000, seed: int = 0, width: int = 16, batch_size: int = 64,
                        lr: float = 1e-3, progress: bool = True):
    """Train a :class:`PretextNet` to paint back a blanked quarter of each image.

    The loss is the mean squared error over the blanked pixels only. Returns
    ``(model, history)``; the encoder is ``model.encoder``. Taught in notebook 02.

    Example
    -------
    >>> from resynth_lib.concepts.pretext_images import load_digit_splits
    >>> model, h = pretrain_inpainting(load_digit_splits()[0], steps=40, seed=0, progress=False)
    >>> bool(np.mean(h["loss"][-5:]) < h["loss"][0])
    True
    """
    return _pretrain("inpainting", train_images, steps, seed, width, batch_size, lr, progress)


def binarise(images, threshold: float = 0.5) -> torch.Tensor:
    """The line drawing of each image: 1 where the grey level exceeds ``threshold``, else 0.

    The input of the colourisation pretext task (the grey levels are what it must predict).
    Taught in notebook 02 (``02_self_supervised_pretext_tasks``).

    Example
    -------
    >>> binarise(np.array([[[[0.0, 0.3], [0.6, 1.0]]]]))[0, 0].tolist()
    [[0.0, 0.0], [1.0, 1.0]]
    """
    return (_tensor(images) > threshold).float()


def pretrain_colourisation(train_images, steps: int = 1000, seed: int = 0, width: int = 16, batch_size: int = 64,
                           lr: float = 1e-3, progress: bool = True):
    """Train a :class:`PretextNet` to paint the grey levels back onto each binarised image.

    The input is :func:`binarise`'s line drawing; the loss the mean squared error over all
    pixels of the sigmoid output against the grey image. Returns ``(model, history)``; the
    encoder is ``model.encoder``. Taught in notebook 02 (``02_self_supervised_pretext_tasks``).

    Example
    -------
    >>> from resynth_lib.concepts.pretext_images import load_digit_splits
    >>> model, h = pretrain_colourisation(load_digit_splits()[0], steps=40, seed=0, progress=False)
    >>> bool(np.mean(h["loss"][-5:]) < h["loss"][0])
    True
    """
    return _pretrain("colourisation", train_images, steps, seed, width, batch_size, lr, progress)


@torch.no_grad()
def colourise(model: PretextNet, images) -> np.ndarray:
    """The model's grey levels for the binarised ``images``: ``(n, 1, H, W)`` in [0, 1].

    Taught in notebook 02 (``02_self_supervised_pretext_tasks``).

    Example
    -------
    >>> colourise(PretextNet(64, DigitEncoder(width=8)).eval(), np.ones((2, 1, 8, 8))).shape
    (2, 1, 8, 8)
    """
    binary = binarise(images)
    return torch.sigmoid(model.eval()(binary)).reshape(binary.shape).numpy()


@torch.no_grad()
def inpaint(model: PretextNet, images, which) -> np.ndarray:
    """The model's paintings: ``images`` with quarter ``which[i]`` replaced by the model's guess.

    Taught in notebook 02.

    Example
    -------
    >>> inpaint(PretextNet(64, DigitEncoder(width=8)).eval(), np.zeros((2, 1, 8, 8)), [0, 3]).shape
    (2, 1, 8, 8)
    """
    x = _tensor(images)
    holed, mask = blank_quarter(x, torch.as_tensor(which))
    painted = torch.sigmoid(model.eval()(holed)).reshape(x.shape)
    return (holed + painted * mask).numpy()


__all__ = ["ORDERS", "shuffle_quarters", "blank_quarter", "PretextNet", "pretrain_jigsaw", "pretrain_inpainting",
           "inpaint", "binarise", "pretrain_colourisation", "colourise"]
