"""What the units allow: a CTC phone recogniser that reads only the unit ids.

If a recogniser that sees nothing but the 50 Hz unit sequence cannot find the phones,
no decoder can put them back: its phone error rate is the *units' ceiling* of the
evaluation (Table 1), beside the *synthesis ceiling* (ground-truth log-mel through a
waveform stage). Together they say where resynthesis loses its phones.

* :class:`UnitPhoneRecogniser` -- unit embedding, two convolutions, a bidirectional GRU,
  CTC over the phone inventory (the same shape as :class:`resynth_lib.evaluation.phone_recogniser.PhoneRecogniser`);
* :func:`train_unit_recogniser` -- CTC training on the train split's units;
* ``resynth train unit-phones`` (:func:`main`).

Taught in notebook 06c (``06c_frame_rate_decoder``), reported in notebook 07b.

Example
-------
>>> m = UnitPhoneRecogniser(["aa", "b"], n_units=10, hidden=8)
>>> m(torch.zeros(2, 30, dtype=torch.long)).shape
torch.Size([2, 30, 3])
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from resynth_lib.core.config import CHECKPOINT_DIR
from resynth_lib.core.training import TrainingCommand, TrainingLoop, seeded
from resynth_lib.evaluation.phone_recogniser import BLANK, ctc_collapse, ctc_update, edit_distance, phone_sequence


class UnitPhoneRecogniser(nn.Module):
    """Unit ids ``(B, T)`` -> CTC log-probabilities ``(B, T, n_phones + 1)`` (index 0 = blank).

    Its PER on the units (:meth:`error_rate`) is the units' ceiling row of Table 1
    (notebook 06c). :meth:`transcribe` decodes one unit sequence greedily.

    Example
    -------
    >>> m = UnitPhoneRecogniser(["aa", "b"], n_units=10, hidden=8)
    >>> isinstance(m.transcribe(np.zeros(20, int)), list)
    True
    """

    def __init__(self, phones: list[str], n_units: int = 100, dim: int = 64, hidden: int = 128,
                 dropout: float = 0.3):
        super().__init__()
        self.phones = list(phones)
        self.config = {"phones": self.phones, "n_units": n_units, "dim": dim, "hidden": hidden, "dropout": dropout}
        self.embed = nn.Embedding(n_units, dim)
        self.drop = nn.Dropout(dropout)
        self.convs = nn.Sequential(nn.Conv1d(dim, 2 * hidden, 5, padding=2), nn.ReLU(),
                                   nn.Conv1d(2 * hidden, 2 * hidden, 3, padding=1), nn.ReLU())
        self.rnn = nn.GRU(2 * hidden, hidden, batch_first=True, bidirectional=True)
        self.out = nn.Linear(2 * hidden, len(self.phones) + 1)

    def forward(self, units: torch.Tensor) -> torch.Tensor:
        h = self.convs(self.drop(self.embed(units)).transpose(1, 2)).transpose(1, 2)
        h, _ = self.rnn(self.drop(h))
        return torch.log_softmax(self.out(h), dim=-1)

    @torch.no_grad()
    def transcribe(self, units) -> list[str]:
        """Greedy CTC decoding of one unit sequence."""
        self.eval()
        best = self(torch.as_tensor(np.asarray(units, np.int64))[None])[0].argmax(-1).numpy()
        return [self.phones[i - 1] for i in ctc_collapse(best)]

    def error_rate(self, unit_sequences, utterances) -> float:
        """PER over ``utterances`` (their alignments' phones) of the transcriptions of ``unit_sequences``."""
        refs = [phone_sequence(u) for u in utterances]
        errors = sum(edit_distance(self.transcribe(x), r) for x, r in zip(unit_sequences, refs))
        return errors / max(1, sum(len(r) for r in refs))


def train_unit_recogniser(unit_sequences, utterances, phones: list[str], epochs: int = 40, batch_size: int = 16,
                          lr: float = 2e-3, n_units: int = 100, seed: int = 0, progress: bool = True,
                          valid=None, unit_noise: float = 0.1):
    """CTC training on ``(units, utterance)`` pairs; returns ``(model, history)``.

    Regularised, since 704 clean label sequences are easy to memorise: dropout, and
    ``unit_noise`` of the unit ids replaced by random ones in each batch. With ``valid``
    (``(unit_sequences, utterances)`` of another split) the PER is measured after every
    epoch and the weights of the best epoch are kept (early stopping on validation data).
    Taught in notebook 06c (``06c_frame_rate_decoder``).

    Example
    -------
    Two epochs on random "units" for two utterances (the shipped model: the train split's SSL units):

    >>> from resynth_lib.data.corpus import load_corpus
    >>> utts = load_corpus().utterances(split="valid")[:2]
    >>> seqs = [np.random.default_rng(0).integers(0, 100, len(u.waveform()) // 320) for u in utts]
    >>> m, h = train_unit_recogniser(seqs, utts, sorted({p for u in utts for p in phone_sequence(u)}), epochs=2,
    ...                              progress=False, valid=(seqs, utts))
    >>> len(h["loss"]), len(h["valid_per"]), h["best_epoch"] in (1, 2)
    (2, 2, True)
    """
    rng = np.random.default_rng(seed)
    index = {p: i + 1 for i, p in enumerate(phones)}
    xs = [torch.as_tensor(np.asarray(u, np.int64)) for u in unit_sequences]
    labels = [torch.tensor([index[p] for p in phone_sequence(u)]) for u in utterances]
    best = [float("inf"), None]
    with seeded(seed):
        model = UnitPhoneRecogniser(phones, n_units)
        opt = torch.optim.AdamW(model.parameters(), lr)
        ctc = nn.CTCLoss(blank=BLANK, zero_infinity=True)
        history = {"epoch": [], "loss": [], "valid_per": [], "seconds": 0.0}

        def epoch_fn(epoch):
            model.train()
            losses, order = [], rng.permutation(len(xs))
            for start in range(0, len(xs), batch_size):
                idx = order[start:start + batch_size]
                x = nn.utils.rnn.pad_sequence([xs[i] for i in idx], batch_first=True)
                noise = torch.from_numpy(rng.random(x.shape) < unit_noise)
                x = torch.where(noise, torch.from_numpy(rng.integers(0, n_units, x.shape)), x)
                losses.append(ctc_update(model, opt, ctc, x, [labels[i] for i in idx], [len(xs[i]) for i in idx]))
            if valid is not None:                       # keep the weights of the best validation epoch
                history["valid_per"].append(model.eval().error_rate(*valid))
                if history["valid_per"][-1] < best[0]:
                    best[:] = [history["valid_per"][-1], {k: v.clone() for k, v in model.state_dict().items()}]
            return {"loss": float(np.mean(losses))}

        def show(h):
            return {"ctc": f"{h['loss'][-1]:.3f}", **({"valid_per": f"{h['valid_per'][-1]:.3f}"} if valid else {})}

        history = TrainingLoop("unit-id phone recogniser", epochs, {"model": model, "opt": opt}, rng, unit="epoch",
                               history=history, log_every=1, progress=progress, show=show).run(epoch_fn)
    if best[1] is not None:
        model.load_state_dict(best[1])
        history["best_epoch"] = int(np.argmin(history["valid_per"])) + 1
    return model.eval(), history


def load_unit_phone_recogniser(path=None, n_units: int = 100) -> UnitPhoneRecogniser:
    """The shipped unit-id recogniser for ``n_units`` units, or the one at ``path``.

    ``data/checkpoints/unit_phone_recogniser.pt`` reads the K=100 units,
    ``unit_phone_recogniser_k<K>.pt`` the others. ``resynth evaluate`` loads the one for the
    default system's units for the units' ceiling row (notebooks 06c and 07).

    Example
    -------
    >>> model = load_unit_phone_recogniser()
    >>> model.config["n_units"], model.training
    (100, False)
    """
    from resynth_lib.core.checkpoints import load_checkpoint
    name = "unit_phone_recogniser.pt" if n_units == 100 else f"unit_phone_recogniser_k{n_units}.pt"
    return load_checkpoint(UnitPhoneRecogniser, path if path is not None else CHECKPOINT_DIR / name,
                           f"train one with `resynth train unit-phones --clusters {n_units}`")


def main(argv=None) -> int:
    """``resynth train unit-phones``: CTC phone recogniser on the train split's shipped SSL units.

    Encodes every split with the shipped quantiser, trains with early stopping on the valid
    split and records the valid / test PER. Taught in notebook 06c (``06c_frame_rate_decoder``).

    Example
    -------
    Training takes minutes; this is how the ``resynth`` command reaches it:

    >>> from resynth_lib.cli.main import resolve
    >>> resolve(("train", "unit-phones")) is main
    True
    """

    from resynth_lib.content.units import load_quantiser
    from resynth_lib.core.checkpoints import save_checkpoint
    from resynth_lib.core.config import machine_info
    from resynth_lib.data.corpus import SILENCE, load_corpus
    parser = TrainingCommand("resynth train unit-phones", main.__doc__)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--clusters", type=int, default=100, help="read the units of units_ssl_k<K>.npz (default 100)")
    parser.add_argument("--out", default=None, help="default data/checkpoints/unit_phone_recogniser.pt for K=100, "
                        "unit_phone_recogniser_k<K>.pt otherwise")
    args = parser.parse_args(argv)
    suffix = "" if args.clusters == 100 else f"_k{args.clusters}"
    args.out = args.out or str(CHECKPOINT_DIR / f"unit_phone_recogniser{suffix}.pt")
    out = parser.output(args)
    corpus = load_corpus()
    quantiser = load_quantiser(source="ssl", n_units=args.clusters)
    phones = [p for p in corpus.phone_inventory if p != SILENCE]
    units = {s: [quantiser.units(u.waveform()) for u in corpus.utterances(split=s)] for s in ("train", "valid", "test")}
    model, history = train_unit_recogniser(units["train"], corpus.utterances(split="train"), phones, args.epochs,
                                           n_units=quantiser.n_units, seed=args.seed,
                                           valid=(units["valid"], corpus.utterances(split="valid")))
    per = {s: model.error_rate(units[s], corpus.utterances(split=s)) for s in ("valid", "test")}
    record = {"command": "resynth train unit-phones " + " ".join(argv or []), "epochs": args.epochs,
              "seed": args.seed, "units": f"SSL units, K={args.clusters} (units_ssl_k{args.clusters}.npz)", "trained_on": "train split",
              "wall_seconds": round(history["seconds"], 1), "loss_curve": history["loss"],
              "valid_per_curve": history["valid_per"], "kept_epoch": history.get("best_epoch"),
              "selection": "the epoch with the lowest validation PER", "per": per,
              "machine": machine_info()}
    save_checkpoint(model, out, record, force=args.force)
    print(f"wrote {out}: PER from unit ids alone, valid {per['valid']:.1%}, test {per['test']:.1%}")
    return 0


__all__ = ["UnitPhoneRecogniser", "train_unit_recogniser", "load_unit_phone_recogniser", "main"]
