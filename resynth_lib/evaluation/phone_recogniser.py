"""A phone recogniser trained only on ground-truth corpus audio: the content judge of the evaluation.

The paper measures how well resynthesis keeps *what was said* by running a speech
recogniser on the output. The course's judge is small and trained here:

* input: 80-band log-mel frames at 50 Hz (:func:`resynth_lib.data.frames.log_mel_frames`),
  normalised per utterance (mean and variance), so loudness and channel offsets matter less;
* model (:class:`PhoneRecogniser`): two 1-D convolutions, a bidirectional GRU, a linear
  layer over the phone inventory plus a CTC *blank*;
* labels: the phone sequence of the alignments, silences dropped; loss: CTC, so the
  model learns its own alignment, as an ASR system would;
* :func:`phone_error_rate`: edit distance of the greedy CTC decoding to the reference,
  over all reference phones (PER);
* ``resynth train phones`` (:func:`main`) trains it on the train split and records the
  valid / test PER of ground-truth audio.

Taught in notebook 07b (``07b_judges_and_evaluation``).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from resynth_lib.core.config import CHECKPOINT_DIR
from resynth_lib.core.training import TrainingCommand, TrainingLoop, seeded
from resynth_lib.data.corpus import SILENCE
from resynth_lib.data.frames import log_mel_frames

BLANK = 0


def recogniser_features(wav) -> np.ndarray:
    """``(frames, 80)`` log-mel at 50 Hz, each band normalised to zero mean and unit variance over the utterance.

    The normalisation removes loudness and fixed channel colour, so the recogniser
    attends to how the spectrum changes (notebook 07b).

    Example
    -------
    >>> wav = np.random.default_rng(0).standard_normal(16000).astype(np.float32) * 0.1
    >>> x = recogniser_features(wav)              # one second: 50 frames
    >>> x.shape, x.dtype, bool(np.abs(x.mean(0)).max() < 1e-4), bool(np.allclose(x.std(0), 1, atol=1e-2))
    ((50, 80), dtype('float32'), True, True)
    """
    x = log_mel_frames(np.asarray(wav, np.float32))
    return ((x - x.mean(0)) / (x.std(0) + 1e-5)).astype(np.float32)


def phone_sequence(utterance) -> list[str]:
    """The utterance's phones in order, silences (``pau``) dropped: the reference of the PER (notebook 07b).

    Example
    -------
    >>> from resynth_lib.data.corpus import PhoneSegment, Utterance
    >>> u = Utterance("x_1", "x", "hi", Path("x.flac"), 16000, 1.0, phones=[PhoneSegment("pau", 0.0, 0.2),
    ...               PhoneSegment("hh", 0.2, 0.5), PhoneSegment("ay", 0.5, 0.9), PhoneSegment("pau", 0.9, 1.0)])
    >>> phone_sequence(u)
    ['hh', 'ay']
    """
    return [seg.phone for seg in utterance.phones if seg.phone != SILENCE]


def edit_distance(a, b) -> int:
    """Levenshtein distance between two sequences (substitutions, insertions, deletions cost 1).

    The phone errors of the PER are this distance between the transcription and the
    reference phones (notebook 07b).

    Example
    -------
    >>> edit_distance("kitten", "sitting")
    3
    >>> edit_distance(["hh", "ay"], ["hh", "ay", "t"])       # one deleted phone
    1
    """
    prev = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        cur = [i]
        for j, y in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x != y)))
        prev = cur
    return prev[-1]


def ctc_collapse(best_path, blank: int = BLANK) -> list[int]:
    """Greedy CTC decoding of a best path (one class per frame): merge repeats, then drop blanks.

    A blank between two equal classes keeps them apart, which is how CTC writes a doubled phone.
    Taught in notebook 07b (``07b_judges_and_evaluation``).

    Example
    -------
    >>> ctc_collapse([0, 3, 3, 0, 0, 5, 5, 5, 0, 5, 2, 2])
    [3, 5, 5, 2]
    """
    out, previous = [], None
    for c in (int(c) for c in best_path):
        if c != previous and c != blank:
            out.append(c)
        previous = c
    return out


class PhoneRecogniser(nn.Module):
    """Log-mel frames ``(B, T, 80)`` -> CTC log-probabilities ``(B, T, n_phones + 1)`` (index 0 = blank).

    The evaluation's content judge (notebook 07b): :meth:`transcribe` turns a waveform into
    a phone list by greedy CTC decoding.

    Example
    -------
    >>> model = PhoneRecogniser(["aa", "b"], hidden=16)
    >>> model(torch.zeros(2, 30, 80)).shape
    torch.Size([2, 30, 3])
    >>> model.transcribe(np.zeros(8000, np.float32) + 0.01)   # untrained: anything from the inventory
    [...]
    """

    def __init__(self, phones: list[str], n_mels: int = 80, hidden: int = 128):
        super().__init__()
        self.phones = list(phones)
        self.config = {"phones": self.phones, "n_mels": n_mels, "hidden": hidden}
        self.convs = nn.Sequential(nn.Conv1d(n_mels, 2 * hidden, 5, padding=2), nn.ReLU(),
                                   nn.Conv1d(2 * hidden, 2 * hidden, 3, padding=1), nn.ReLU())
        self.rnn = nn.GRU(2 * hidden, hidden, batch_first=True, bidirectional=True)
        self.out = nn.Linear(2 * hidden, len(self.phones) + 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.convs(x.transpose(1, 2)).transpose(1, 2)
        h, _ = self.rnn(h)
        return F.log_softmax(self.out(h), dim=-1)

    @torch.no_grad()
    def transcribe(self, wav) -> list[str]:
        """Greedy CTC decoding: best class per frame, repeats merged, blanks removed."""
        self.eval()
        best = self(torch.from_numpy(recogniser_features(wav))[None])[0].argmax(-1).numpy()
        return [self.phones[i - 1] for i in ctc_collapse(best)]


def phone_error_rate(model: PhoneRecogniser, waveforms, references) -> float:
    """Total edit distance over total reference length, for lists of waveforms and phone sequences.

    This is the phone error rate (PER) of notebook 07b; ``model`` needs only a
    ``transcribe(wav)`` method.

    Example
    -------
    >>> class HearsHi:                             # a stand-in recogniser that always hears "hh ay"
    ...     def transcribe(self, wav):
    ...         return ["hh", "ay"]
    >>> round(phone_error_rate(HearsHi(), [np.zeros(16000)], [["hh", "ay", "t"]]), 3)   # one phone of three missed
    0.333
    """
    errors = sum(edit_distance(model.transcribe(w), ref) for w, ref in zip(waveforms, references))
    return errors / max(1, sum(len(r) for r in references))


def augment(wav: np.ndarray, rng: np.random.Generator, gain_db: float = 6.0, snr_db=(5.0, 40.0),
            p_noise: float = 0.7, p_tilt: float = 0.7) -> np.ndarray:
    """A randomly degraded copy of ``wav``: gain, spectral tilt and coloured noise.

    * gain: uniform in +-``gain_db`` dB;
    * tilt (probability ``p_tilt``): a one-pole filter ``y[n] = x[n] + a y[n-1]`` or its
      inverse with ``|a| < 0.9`` -- the recording's or decoder's colour changes;
    * noise (probability ``p_noise``): white noise, random-tilted the same way, at an SNR
      drawn uniformly from ``snr_db``.

    The judge is trained on ground-truth audio only; these perturbations teach it that
    channel colour and a noise floor do not change the phones, so it does not read every
    difference of a decoded signal as a phone error. Taught in notebook 07b
    (``07b_judges_and_evaluation``); the speaker judge uses it too.

    Example
    -------
    >>> w = np.sin(np.arange(16000) / 5).astype(np.float32)
    >>> y = augment(w, np.random.default_rng(0))
    >>> y.shape == w.shape and y.dtype == np.float32 and not np.allclose(y, w)
    True
    """
    from scipy.signal import lfilter

    def tilt(x):
        a = rng.uniform(-0.9, 0.9)
        return lfilter([1.0], [1.0, -a], x) if rng.random() < 0.5 else lfilter([1.0, -a], [1.0], x)
    x = wav.astype(np.float64) * 10 ** (rng.uniform(-1, 1) * gain_db / 20)
    if rng.random() < p_tilt:
        x = tilt(x)
        x *= np.sqrt(np.mean(wav.astype(np.float64) ** 2) / (np.mean(x ** 2) + 1e-12))
    if rng.random() < p_noise:
        noise = tilt(rng.standard_normal(len(x)))
        snr = rng.uniform(*snr_db)
        x = x + noise * np.sqrt(np.mean(x ** 2) / (np.mean(noise ** 2) + 1e-12) / 10 ** (snr / 10))
    return x.astype(np.float32)


def add_white_noise(wav, snr_db: float, rng: np.random.Generator) -> np.ndarray:
    """``wav`` plus white Gaussian noise at ``snr_db`` dB below its mean power: the judges' robustness probe.

    ``resynth train phones`` and ``resynth train speaker-judge`` record each judge's score on
    the test split with white noise at 20 dB SNR (notebook 07b).

    Example
    -------
    >>> w = np.ones(1000, np.float32)
    >>> y = add_white_noise(w, 20.0, np.random.default_rng(0))
    >>> round(float(10 * np.log10(np.mean(w ** 2) / np.mean((y - w) ** 2))))
    20
    """
    wav = np.asarray(wav, np.float32)
    return wav + rng.standard_normal(len(wav)).astype(np.float32) * np.float32(
        np.sqrt(np.mean(wav.astype(np.float64) ** 2) / 10 ** (snr_db / 10)))


def spec_augment(feats: torch.Tensor, rng: np.random.Generator, n_masks: int = 2, max_bands: int = 10,
                 max_frames: int = 8) -> torch.Tensor:
    """SpecAugment-style masking: ``n_masks`` random mel-band stripes and time stripes set to 0 (the mean).

    ``feats`` is ``(frames, bands)`` of normalised features, so 0 is the mean value; stripes
    are up to ``max_bands`` bands and ``max_frames`` frames wide. The input is not changed.
    The judges of notebook 07b train on masked features so that no single band or moment
    decides their answer.

    Example
    -------
    >>> feats = torch.ones(100, 80)
    >>> masked = spec_augment(feats, np.random.default_rng(0))
    >>> int((masked == 0).all(0).sum()), int((masked == 0).all(1).sum())   # bands, frames masked completely
    (12, 4)
    >>> bool((feats == 1).all())
    True
    """
    feats = feats.clone()
    T, D = feats.shape
    for _ in range(n_masks):
        w = int(rng.integers(0, max_bands + 1))
        f0 = int(rng.integers(0, max(1, D - w)))
        feats[:, f0:f0 + w] = 0
        w = int(rng.integers(0, max_frames + 1))
        t0 = int(rng.integers(0, max(1, T - w)))
        feats[t0:t0 + w] = 0
    return feats


def ctc_update(model, opt, ctc, x, labels, lengths, clip: float = 5.0) -> float:
    """One CTC training step on a padded batch ``x``: loss, backward, gradient clipping, update; returns the loss.

    ``labels`` are the label tensors of the batch, ``lengths`` the true input lengths.
    Shared by the phone recogniser and the unit-id recogniser (:mod:`resynth_lib.evaluation.unit_recogniser`).
    Taught in notebook 07b (``07b_judges_and_evaluation``).

    Example
    -------
    A few steps on one fixed batch of two "utterances" (20 and 15 frames): the loss falls.

    >>> _ = torch.manual_seed(0)
    >>> model = PhoneRecogniser(["a", "b"], hidden=8)
    >>> opt = torch.optim.AdamW(model.parameters(), 1e-2)
    >>> ctc = nn.CTCLoss(blank=BLANK, zero_infinity=True)
    >>> x, labels = torch.randn(2, 20, 80), [torch.tensor([1, 2]), torch.tensor([2])]
    >>> losses = [ctc_update(model, opt, ctc, x, labels, [20, 15]) for _ in range(5)]
    >>> losses[-1] < losses[0]
    True
    """
    logp = model(x).transpose(0, 1)                                   # (T, B, C) for CTCLoss
    loss = ctc(logp, torch.cat(labels), torch.tensor(lengths), torch.tensor([len(y) for y in labels]))
    opt.zero_grad()
    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), clip)
    opt.step()
    return loss.item()


def train_phone_recogniser(train_utts, phones: list[str], epochs: int = 30, batch_size: int = 16, lr: float = 2e-3,
                           hidden: int = 128, seed: int = 0, progress: bool = True, augment_gain_db: float = 6.0,
                           robust: bool = True):
    """CTC training on ground-truth audio of ``train_utts``; returns ``(model, history)``.

    Each epoch shuffles the utterances into batches (padded; CTC sees the true lengths).
    A random gain of up to ``augment_gain_db`` dB per utterance keeps the model from
    relying on loudness. With ``robust=True`` (the shipped judge) every example is also
    degraded by :func:`augment` (tilt, noise) and masked by :func:`spec_augment`, so the
    judge's errors on decoded speech measure lost phones, not an unfamiliar channel.
    Taught in notebook 07b (``07b_judges_and_evaluation``), which trains a small one live.

    Example
    -------
    Two epochs of a tiny model on two utterances (the shipped judge: 30 epochs, 704 utterances):

    >>> from resynth_lib.data.corpus import load_corpus
    >>> utts = load_corpus().utterances(split="valid")[:2]
    >>> phones = sorted({p for u in utts for p in phone_sequence(u)})
    >>> model, history = train_phone_recogniser(utts, phones, epochs=2, hidden=8, progress=False)
    >>> history["epoch"], len(history["loss"]), model.phones == phones
    ([1, 2], 2, True)
    """
    rng = np.random.default_rng(seed)
    index = {p: i + 1 for i, p in enumerate(phones)}
    wavs = [u.waveform() for u in train_utts]
    labels = [torch.tensor([index[p] for p in phone_sequence(u)]) for u in train_utts]
    with seeded(seed):
        model = PhoneRecogniser(phones, hidden=hidden)
        opt = torch.optim.AdamW(model.parameters(), lr)
        ctc = nn.CTCLoss(blank=BLANK, zero_infinity=True)

        def epoch_fn(epoch):
            model.train()
            losses, order = [], rng.permutation(len(wavs))
            for start in range(0, len(wavs), batch_size):
                idx = order[start:start + batch_size]
                if robust:
                    feats = [spec_augment(torch.from_numpy(recogniser_features(augment(wavs[i], rng, augment_gain_db))),
                                          rng) for i in idx]
                else:
                    feats = [torch.from_numpy(recogniser_features(wavs[i] * 10 ** (rng.uniform(-1, 1) * augment_gain_db
                                                                                   / 20))) for i in idx]
                x = nn.utils.rnn.pad_sequence(feats, batch_first=True)
                losses.append(ctc_update(model, opt, ctc, x, [labels[i] for i in idx], [len(f) for f in feats]))
            return {"loss": float(np.mean(losses))}

        history = TrainingLoop("phone recogniser", epochs, {"model": model, "opt": opt}, rng, unit="epoch",
                               history={"epoch": [], "loss": [], "seconds": 0.0}, log_every=1, progress=progress,
                               show=lambda h: {"ctc": f"{h['loss'][-1]:.3f}"}).run(epoch_fn)
    return model.eval(), history


def save_phone_recogniser(model: PhoneRecogniser, path, record: dict, force: bool = False) -> Path:
    """Inference weights and the training record (:func:`resynth_lib.core.checkpoints.save_checkpoint`).

    Writes ``path`` and the record beside it as ``.json``; refuses to replace a file unless
    ``force``. ``resynth train phones`` ships its judge this way (notebook 07b).

    Example
    -------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = save_phone_recogniser(PhoneRecogniser(["aa", "b"], hidden=8), Path(tmp) / "phones.pt", {"epochs": 0})
    ...     sorted(p.name for p in Path(tmp).iterdir())
    ['phones.json', 'phones.pt']
    """
    from resynth_lib.core.checkpoints import save_checkpoint
    return save_checkpoint(model, path, record, force)


def load_phone_recogniser(path=None) -> PhoneRecogniser:
    """The shipped recogniser (default ``data/checkpoints/phone_recogniser.pt``), or the one saved at ``path``.

    The model comes back in eval mode, ready to ``transcribe``; a missing file raises an
    error that says how to train one. The shipped judge is loaded in notebooks 06d and 07b.

    Example
    -------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = save_phone_recogniser(PhoneRecogniser(["aa", "b"], hidden=8), Path(tmp) / "phones.pt", {})
    ...     model = load_phone_recogniser(path)
    >>> model.phones, model.training
    (['aa', 'b'], False)
    """
    from resynth_lib.core.checkpoints import load_checkpoint
    return load_checkpoint(PhoneRecogniser, path if path is not None else CHECKPOINT_DIR / "phone_recogniser.pt",
                        "train one with `resynth train phones`")


def main(argv=None) -> int:
    """``resynth train phones``: the CTC phone recogniser on the train split's ground-truth audio.

    Trains, measures the PER of ground-truth audio on the valid and test splits (and on the
    test split with white noise at 20 dB SNR), and writes the checkpoint with its record.
    Taught in notebook 07b (``07b_judges_and_evaluation``).

    Example
    -------
    Training takes about ten minutes; this is how the ``resynth`` command reaches it:

    >>> from resynth_lib.cli.main import resolve
    >>> resolve(("train", "phones")) is main
    True
    """
    import sys

    from resynth_lib.core.config import machine_info
    from resynth_lib.data.corpus import load_corpus
    parser = TrainingCommand("resynth train phones", main.__doc__)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--out", default=str(CHECKPOINT_DIR / "phone_recogniser.pt"))
    parser.add_argument("--no-augment", action="store_true",
                        help="gain changes only (no tilt, noise or masking): a judge that over-reads any channel change")
    args = parser.parse_args(argv)
    out = parser.output(args)
    corpus = load_corpus()
    phones = [p for p in corpus.phone_inventory if p != SILENCE]
    model, history = train_phone_recogniser(corpus.utterances(split="train"), phones, args.epochs,
                                            hidden=args.hidden, seed=args.seed, robust=not args.no_augment)
    per = {}
    for split in ("valid", "test"):
        utts = corpus.utterances(split=split)
        per[split] = phone_error_rate(model, [u.waveform() for u in utts], [phone_sequence(u) for u in utts])
    noise = np.random.default_rng(20)          # a fixed robustness probe: white noise at 20 dB SNR
    noisy = [add_white_noise(u.waveform(), 20.0, noise) for u in corpus.utterances(split="test")]
    per["test_white_noise_20db"] = phone_error_rate(model, noisy, [phone_sequence(u) for u in corpus.utterances(split="test")])
    record = {"command": "resynth train phones " + " ".join(sys.argv[3:] if argv is None else argv), "epochs": args.epochs,
              "hidden": args.hidden, "seed": args.seed, "phones": len(phones), "trained_on": "train split, ground truth",
              "augmentation": "gain +-6 dB" if args.no_augment else "gain +-6 dB, one-pole tilt |a|<0.9 (p=0.7), "
              "tilted white noise at 5-40 dB SNR (p=0.7), 2 band + 2 time masks",
              "wall_seconds": round(history["seconds"], 1), "loss_curve": history["loss"],
              "per_ground_truth": per, "machine": machine_info()}
    save_phone_recogniser(model, out, record, force=args.force)
    print(f"wrote {out}: PER of ground-truth audio, valid {per['valid']:.1%}, test {per['test']:.1%}, "
          f"test with white noise at 20 dB SNR {per['test_white_noise_20db']:.1%}")
    return 0
