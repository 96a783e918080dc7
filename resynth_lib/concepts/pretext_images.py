"""A pretext task (代理任務) on images: predict how a digit was rotated, then use few labels.

Taught in notebook 02 (``02_self_supervised_pretext_tasks``), section "A pretext task helps
when labels are scarce". Labels are expensive; images are cheap. A *pretext task* makes
labels out of the data itself -- *pseudo-labels* (偽標籤) -- so a network can be trained
without any human labels. Here the pseudo-label is the rotation (0, 90, 180 or 270 degrees)
we applied to an image (Gidaris et al., 2018): to tell an upright "7" from an upside-down
one, the network has to learn what strokes and shapes digits are made of. We then freeze
that encoder and ask how well a linear classifier on its features does with 1, 5 or 10
labelled images per class, against honest baselines: the same probe on raw pixels, on a
*random* (untrained) encoder, and the same network trained from scratch on the few labels.
On scikit-learn's bundled 8x8 digits (no download) the pre-trained probe wins clearly at
1 label per class, ties with training from scratch at 5 and loses at 10 (notebook 02).

Example
-------
>>> split = load_digit_splits()
>>> [a.shape for a in split]
[(1257, 1, 8, 8), (1257,), (540, 1, 8, 8), (540,)]
>>> model, history = pretrain_rotation(split[0], steps=20, seed=0, progress=False)
>>> idx = sample_labelled(split[1], per_class=5, seed=0)
>>> acc = linear_probe(model, split[0][idx], split[1][idx], split[2], split[3])
>>> 0.0 <= acc <= 1.0
True
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from resynth_lib.core.training import TrainingLoop, seeded

N_CLASSES = 10
N_ROTATIONS = 4
METHODS = ("rotation probe", "random-encoder probe", "pixel probe", "from scratch")


# ------------------------------------------------------------------ data
def load_digit_splits(seed: int = 0, test_fraction: float = 0.3):
    """scikit-learn's 8x8 digits as ``(train_x, train_y, test_x, test_y)``, a stratified split.

    Images ``(n, 1, 8, 8)`` float32 in [0, 1], labels int64 0..9. The training images, labels
    unused, are the unlabelled pool. Taught in notebook 02 (``02_self_supervised_pretext_tasks``).

    Example
    -------
    >>> tx, ty, vx, vy = load_digit_splits(seed=0)
    >>> tx.dtype, float(tx.max()), np.bincount(ty)[:3]
    (dtype('float32'), 1.0, array([124, 127, 124]))
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    digits = load_digits()
    x = (digits.images / 16.0).astype(np.float32)[:, None]
    y = digits.target.astype(np.int64)
    tx, vx, ty, vy = train_test_split(x, y, test_size=test_fraction, stratify=y, random_state=seed)
    return tx, ty, vx, vy


def rotate_batch(images):
    """Every image at 0, 90, 180 and 270 degrees: ``(4n, 1, H, W)`` tensor and labels 0..3.

    Block ``k`` holds the images turned ``k`` times by 90 degrees counter-clockwise
    (``torch.rot90``, as ``np.rot90``) with label ``k``: the rotation *is* the label.
    Taught in notebook 02 (``02_self_supervised_pretext_tasks``).

    Example
    -------
    >>> x = torch.arange(4.0).reshape(1, 1, 2, 2)
    >>> rotated, labels = rotate_batch(x)
    >>> rotated[1, 0].tolist(), labels.tolist()
    ([[1.0, 3.0], [0.0, 2.0]], [0, 1, 2, 3])
    """
    x = _tensor(images)
    if x.ndim != 4:
        raise ValueError(f"images must be (n, channels, H, W), got shape {tuple(x.shape)}")
    rotated = torch.cat([torch.rot90(x, k, dims=(-2, -1)) for k in range(N_ROTATIONS)])
    labels = torch.arange(N_ROTATIONS).repeat_interleave(len(x))
    return rotated, labels


# ------------------------------------------------------------------ the networks
class DigitEncoder(nn.Module):
    """A small conv net for 8x8 digits: ``conv1-conv2-pool`` then ``conv3-pool``.

    ``forward(x, layer)`` gives flattened features: ``"conv2"`` (``width x 4 x 4``) or the last
    layer ``"conv3"`` (``2 width x 2 x 2``), which the rotation head reads; each conv has batch
    norm. Probes read ``"conv2"``: the last layer specialises in angles, not digits, and
    transfers worse (measured in notebook 02; Gidaris et al. saw the same).
    Taught in notebook 02 (``02_self_supervised_pretext_tasks``).

    Example
    -------
    >>> enc = DigitEncoder(width=16)
    >>> enc(torch.zeros(2, 1, 8, 8)).shape, enc.feature_dim("conv2"), enc.feature_dim("conv3")
    (torch.Size([2, 128]), 256, 128)
    """

    LAYERS = ("conv2", "conv3")

    def __init__(self, width: int = 16):
        super().__init__()
        self.width = width
        self.block1 = nn.Sequential(nn.Conv2d(1, width, 3, padding=1), nn.BatchNorm2d(width), nn.ReLU(),
                                    nn.Conv2d(width, width, 3, padding=1), nn.BatchNorm2d(width), nn.ReLU(),
                                    nn.MaxPool2d(2))
        self.block2 = nn.Sequential(nn.Conv2d(width, 2 * width, 3, padding=1), nn.BatchNorm2d(2 * width),
                                    nn.ReLU(), nn.MaxPool2d(2))

    def forward(self, x: torch.Tensor, layer: str = "conv3") -> torch.Tensor:
        if layer not in self.LAYERS:
            raise ValueError(f"layer must be one of {self.LAYERS}, got {layer!r}")
        h = self.block1(x)
        return (h if layer == "conv2" else self.block2(h)).flatten(1)

    def feature_dim(self, layer: str = "conv3") -> int:
        """Length of the feature vector that ``layer`` gives for one 8x8 image."""
        return self.width * 16 if layer == "conv2" else self.width * 8


class RotationNet(nn.Module):
    """A :class:`DigitEncoder` and a 4-way linear head that guesses the rotation.

    Taught in notebook 02 (``02_self_supervised_pretext_tasks``).

    Example
    -------
    >>> net = RotationNet(DigitEncoder(width=8))
    >>> net(torch.zeros(3, 1, 8, 8)).shape
    torch.Size([3, 4])
    """

    def __init__(self, encoder: DigitEncoder | None = None):
        super().__init__()
        self.encoder = encoder if encoder is not None else DigitEncoder()
        self.head = nn.Linear(self.encoder.feature_dim("conv3"), N_ROTATIONS)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.encoder(x))


def _as_encoder(model):
    return model.encoder if hasattr(model, "encoder") and hasattr(model, "head") else model


def _tensor(images) -> torch.Tensor:
    return images if torch.is_tensor(images) else torch.as_tensor(np.asarray(images, dtype=np.float32))


# ------------------------------------------------------------------ pre-training on pseudo-labels
def pretrain_rotation(train_images, steps: int = 1000, seed: int = 0, width: int = 16,
                      batch_size: int = 64, lr: float = 1e-3, progress: bool = True):
    """Train a :class:`RotationNet` with Adam to predict rotations; returns ``(model, history)``.

    Each step shows all four rotations of ``batch_size`` unlabelled images. ``history`` holds
    the per-step ``"loss"`` and ``"accuracy"`` (on the batch). The encoder is ``model.encoder``;
    every function here that takes an encoder also takes ``model``. The same ``seed`` gives
    the same model, global random state untouched. Taught in notebook 02
    (``02_self_supervised_pretext_tasks``).

    Example
    -------
    >>> x = load_digit_splits()[0]
    >>> model, history = pretrain_rotation(x, steps=30, seed=0, progress=False)
    >>> bool(np.mean(history["loss"][-5:]) < history["loss"][0])
    True
    """
    X = _tensor(train_images)
    if X.ndim != 4 or not torch.isfinite(X).all():
        raise ValueError(f"train_images must be finite (n, 1, H, W), got shape {tuple(X.shape)}")
    with seeded(seed):
        model = RotationNet(DigitEncoder(width))
        optimiser = torch.optim.Adam(model.parameters(), lr=lr)
        generator = torch.Generator().manual_seed(seed)

        def step_fn(step):
            batch, pseudo_labels = rotate_batch(X[torch.randint(len(X), (batch_size,), generator=generator)])
            logits = model(batch)
            loss = nn.functional.cross_entropy(logits, pseudo_labels)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            return {"loss": loss.item(), "accuracy": (logits.argmax(1) == pseudo_labels).float().mean().item()}

        model.train()
        history = TrainingLoop("rotation pretext", steps, {"model": model, "optimiser": optimiser},
                               history={"loss": [], "accuracy": []}, log_every=1, progress=progress,
                               generators={"batches": generator},
                               show=lambda h: {"loss": f"{h['loss'][-1]:.3f}", "acc": f"{h['accuracy'][-1]:.2f}"}
                               ).run(step_fn)
    return model.eval(), history


@torch.no_grad()
def rotation_accuracy(model: RotationNet, images) -> float:
    """Fraction of the four rotations of ``images`` whose angle ``model`` guesses right.

    Taught in notebook 02 (``02_self_supervised_pretext_tasks``).

    Example
    -------
    >>> acc = rotation_accuracy(RotationNet(DigitEncoder(width=8)).eval(), np.zeros((5, 1, 8, 8)))
    >>> 0.0 <= acc <= 1.0
    True
    """
    model.eval()
    batch, pseudo_labels = rotate_batch(images)
    return (model(batch).argmax(1) == pseudo_labels).float().mean().item()


@torch.no_grad()
def encode(encoder, images, layer: str = "conv2") -> np.ndarray:
    """Frozen features ``(n, d)`` of ``images`` from ``layer``; ``encoder=None`` gives the pixels.

    Taught in notebook 02 (``02_self_supervised_pretext_tasks``).

    Example
    -------
    >>> encode(None, np.zeros((3, 1, 8, 8))).shape, encode(DigitEncoder(width=8), np.zeros((3, 1, 8, 8))).shape
    ((3, 64), (3, 128))
    """
    X = _tensor(images)
    if encoder is None:
        return X.reshape(len(X), -1).numpy()
    encoder = _as_encoder(encoder).eval()
    return encoder(X, layer).numpy()


# ------------------------------------------------------------------ few labels
def sample_labelled(labels, per_class: int, seed: int = 0) -> np.ndarray:
    """Sorted indices of exactly ``per_class`` examples of every class (no repeats).

    Taught in notebook 02 (``02_self_supervised_pretext_tasks``).

    Example
    -------
    >>> y = np.array([0, 1, 0, 1, 0, 1])
    >>> idx = sample_labelled(y, per_class=2, seed=0)
    >>> len(idx), np.bincount(y[idx]).tolist()
    (4, [2, 2])
    """
    labels, rng = np.asarray(labels), np.random.default_rng(seed)
    counts = dict(zip(*np.unique(labels, return_counts=True)))
    if min(counts.values()) < per_class:
        raise ValueError(f"per_class={per_class} but a class has only {min(counts.values())} examples")
    return np.sort(np.concatenate([rng.choice(np.flatnonzero(labels == c), per_class, replace=False)
                                   for c in counts]))


def linear_probe(encoder, images, labels, test_images, test_labels, layer: str = "conv2",
                 C: float = 1.0, pool_images=None) -> float:
    """Test accuracy of a logistic regression on frozen features of the labelled ``images``.

    The encoder stays frozen; ``encoder=None`` probes the raw pixels. Features are
    standardised with the statistics of ``pool_images`` (the unlabelled pool) or, if None,
    of the labelled images. Taught in notebook 02 (``02_self_supervised_pretext_tasks``).

    Example
    -------
    >>> tx, ty, vx, vy = load_digit_splits()
    >>> idx = sample_labelled(ty, per_class=10, seed=0)
    >>> bool(linear_probe(None, tx[idx], ty[idx], vx, vy, pool_images=tx) > 0.8)
    True
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler
    train = encode(encoder, images, layer)
    scaler = StandardScaler().fit(train if pool_images is None else encode(encoder, pool_images, layer))
    classifier = LogisticRegression(C=C, max_iter=5000).fit(scaler.transform(train), np.asarray(labels))
    return float(classifier.score(scaler.transform(encode(encoder, test_images, layer)), np.asarray(test_labels)))


def train_from_scratch(images, labels, test_images, test_labels, steps: int = 300,
                       weight_decay: float = 0.1, lr: float = 3e-3, width: int = 16, seed: int = 0) -> float:
    """Test accuracy of a :class:`DigitEncoder` plus linear head trained on the labelled images only.

    The same architecture from random weights, trained end to end with full-batch AdamW for
    a fixed number of steps (few labels leave no validation set to stop on). The defaults
    were the best of 100/200/500 steps x weight decay 0/0.01/0.1 x rate 1e-3/3e-3, scored on
    the test images (which favours this baseline); all lay within 0.04, most within 0.01.
    Taught in notebook 02 (``02_self_supervised_pretext_tasks``).

    Example
    -------
    >>> tx, ty, vx, vy = load_digit_splits()
    >>> idx = sample_labelled(ty, per_class=2, seed=0)
    >>> acc = train_from_scratch(tx[idx], ty[idx], vx, vy, steps=20)
    >>> 0.0 <= acc <= 1.0
    True
    """
    X, y = _tensor(images), torch.as_tensor(np.asarray(labels), dtype=torch.long)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        encoder = DigitEncoder(width)
        head = nn.Linear(encoder.feature_dim("conv3"), N_CLASSES)
        optimiser = torch.optim.AdamW([*encoder.parameters(), *head.parameters()], lr=lr,
                                      weight_decay=weight_decay)
        encoder.train()
        for _ in range(steps):
            loss = nn.functional.cross_entropy(head(encoder(X)), y)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
    encoder.eval()
    with torch.no_grad():
        predicted = head(encoder(_tensor(test_images))).argmax(1).numpy()
    return float(np.mean(predicted == np.asarray(test_labels)))


# ------------------------------------------------------------------ the comparison
def few_label_curve(encoder, split, per_class=(1, 5, 10), repeats: int = 5, seed: int = 0,
                    layer: str = "conv2", scratch_steps: int = 300, progress: bool = True,
                    more_encoders: dict | None = None) -> dict:
    """Accuracy of the four methods in :data:`METHODS` with ``per_class`` labels per class.

    Each of ``repeats`` draws of labelled images is shared by all methods: the probe on
    ``encoder``, on a random :class:`DigitEncoder` (seeded by ``seed``: with the same seed and
    width, the pre-trained model's own starting point), on the pixels, and
    :func:`train_from_scratch`. ``more_encoders`` (``{name: encoder}``, e.g. the jigsaw and
    inpainting encoders of :mod:`resynth_lib.concepts.pretext_jigsaw_inpainting`) adds one
    probe row each. ``split`` is :func:`load_digit_splits`'s output. Returns
    ``{"per_class", "runs": {method: (len(per_class), repeats)}, "mean", "std"}``.
    Taught in notebook 02 (``02_self_supervised_pretext_tasks``).

    Example
    -------
    >>> split = load_digit_splits()
    >>> res = few_label_curve(DigitEncoder(), split, per_class=(1,), repeats=1, scratch_steps=5, progress=False)
    >>> sorted(res["mean"]) == sorted(METHODS), res["runs"]["pixel probe"].shape
    (True, (1, 1))
    """
    train_x, train_y, test_x, test_y = split
    encoder = _as_encoder(encoder)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        random_encoder = DigitEncoder(encoder.width).eval()
    encoders = {"rotation probe": encoder, **{name: _as_encoder(e) for name, e in (more_encoders or {}).items()},
                "random-encoder probe": random_encoder, "pixel probe": None}
    per_class = list(per_class)
    runs = {m: np.zeros((len(per_class), repeats)) for m in [*encoders, "from scratch"]}
    jobs = [(i, r) for i in range(len(per_class)) for r in range(repeats)]
    if progress:
        from tqdm.auto import tqdm
        jobs = tqdm(jobs, desc="few-label runs", unit="run")
    for i, r in jobs:
        idx = sample_labelled(train_y, per_class[i], seed=seed * 1000 + r)
        x, y = train_x[idx], train_y[idx]
        for name, enc in encoders.items():
            runs[name][i, r] = linear_probe(enc, x, y, test_x, test_y, layer=layer, pool_images=train_x)
        runs["from scratch"][i, r] = train_from_scratch(x, y, test_x, test_y, steps=scratch_steps,
                                                        width=encoder.width, seed=seed * 1000 + r)
    return {"per_class": per_class, "runs": runs,
            "mean": {m: v.mean(axis=1) for m, v in runs.items()},
            "std": {m: v.std(axis=1) for m, v in runs.items()}}


def format_few_label_table(results: dict) -> str:
    """:func:`few_label_curve`'s results as a text table of mean +- std accuracy.

    Taught in notebook 02 (``02_self_supervised_pretext_tasks``).

    Example
    -------
    >>> res = {"per_class": [1], "mean": {"pixel probe": np.array([0.5])}, "std": {"pixel probe": np.array([0.1])}}
    >>> print(format_few_label_table(res))  # doctest: +NORMALIZE_WHITESPACE
    method                  1/class
    pixel probe         0.500±0.100
    """
    lines = ["method              " + "".join(f"{k:>10}/class" for k in results["per_class"])]
    for name in results["mean"]:
        cells = "".join(f"{m:>10.3f}±{s:.3f}" for m, s in zip(results["mean"][name], results["std"][name]))
        lines.append(f"{name:<20}{cells}")
    return "\n".join(lines)


def plot_few_label_curve(results: dict, ax=None):
    """Test accuracy against labels per class, one line per method, error bars = 1 std.

    Taught in notebook 02 (``02_self_supervised_pretext_tasks``).

    Example
    -------
    >>> res = {"per_class": [1, 5], "mean": {"pixel probe": np.array([0.6, 0.8])},
    ...        "std": {"pixel probe": np.array([0.05, 0.02])}}
    >>> plot_few_label_curve(res).get_xlabel()
    'labelled images per class'
    """
    import matplotlib.pyplot as plt
    if ax is None:
        ax = plt.subplots(figsize=(6, 4))[1]
    for name in results["mean"]:
        ax.errorbar(results["per_class"], results["mean"][name], yerr=results["std"][name],
                    marker="o", capsize=3, label=name)
    ax.set_xscale("log")
    ax.set_xticks(results["per_class"], [str(k) for k in results["per_class"]])
    ax.set(xlabel="labelled images per class", ylabel="test accuracy",
           title="Few labels: pre-trained probes vs baselines")
    ax.grid(alpha=0.3)
    ax.legend()
    return ax
