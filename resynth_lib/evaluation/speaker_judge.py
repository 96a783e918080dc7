"""The evaluation's speaker judge: a small classifier trained on degraded ground-truth audio.

The pipeline recognises speakers with notebook 05's d-vector centroids
(:class:`resynth_lib.speaker.classifier.SpeakerClassifier`), and that is fine on clean
recordings. As a *judge* of decoded speech it is brittle: white noise at 20 dB SNR sends
every test utterance to one speaker. A judge should not be the pipeline's own component
either. So the evaluation trains its own, on ground-truth audio only:

* input: 80-band log-mel frames at 50 Hz, minus the utterance's overall mean (loudness),
  band shape kept -- the spectral envelope is what identifies a voice;
* model (:class:`SpeakerJudge`): three 1-D convolutions, mean + standard-deviation pooling
  over time, a 128-dimensional embedding and a linear layer over the speakers;
* training (:func:`train_speaker_judge`): random 2 s crops of the train split, each degraded
  by :func:`resynth_lib.evaluation.phone_recogniser.augment` (gain, spectral tilt, noise) and masked by
  :func:`resynth_lib.evaluation.phone_recogniser.spec_augment`; cross-entropy;
* accuracy from the classifier's arg-max; EER from the cosine of the embeddings.

``resynth train speaker-judge`` (:func:`main`) trains and ships it. Taught in notebook 07b
(``07b_judges_and_evaluation``).
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from resynth_lib.core.config import CHECKPOINT_DIR
from resynth_lib.core.training import TrainingCommand, TrainingLoop, seeded
from resynth_lib.data.frames import log_mel_frames
from resynth_lib.evaluation.phone_recogniser import add_white_noise, augment, spec_augment


def judge_features(wav) -> np.ndarray:
    """``(frames, 80)`` log-mel at 50 Hz minus its overall mean (one number: loudness, not band shape).

    Unlike the phone recogniser's features, the bands are not normalised one by one: the
    spectral envelope is what tells voices apart (notebook 07b).

    Example
    -------
    >>> wav = np.random.default_rng(0).standard_normal(16000).astype(np.float32) * 0.1
    >>> x = judge_features(wav)
    >>> x.shape, x.dtype, abs(float(x.mean())) < 1e-4
    ((50, 80), dtype('float32'), True)
    """
    x = log_mel_frames(np.asarray(wav, np.float32))
    return (x - x.mean()).astype(np.float32)


class SpeakerJudge(nn.Module):
    """Log-mel ``(B, T, 80)`` -> speaker logits ``(B, n_speakers)``; :meth:`embed` gives the pooled embedding.

    The evaluation's speaker judge (notebook 07b): :meth:`predict` names the speaker of a
    waveform, and the cosine of two :meth:`embed` vectors scores a verification trial.

    Example
    -------
    >>> judge = SpeakerJudge(["awb", "slt"], channels=16, dim=8)
    >>> judge(torch.zeros(3, 50, 80)).shape
    torch.Size([3, 2])
    >>> wav = np.random.default_rng(0).standard_normal(16000).astype(np.float32) * 0.1
    >>> judge.embed(wav).shape, judge.predict(wav) in ("awb", "slt")
    ((8,), True)
    """

    def __init__(self, speakers: list[str], n_mels: int = 80, channels: int = 128, dim: int = 128):
        super().__init__()
        self.speakers = list(speakers)
        self.config = {"speakers": self.speakers, "n_mels": n_mels, "channels": channels, "dim": dim}
        self.convs = nn.Sequential(
            nn.Conv1d(n_mels, channels, 5, padding=2), nn.ReLU(),
            nn.Conv1d(channels, channels, 5, padding=4, dilation=2), nn.ReLU(),
            nn.Conv1d(channels, channels, 3, padding=3, dilation=3), nn.ReLU())
        self.embedding = nn.Linear(2 * channels, dim)
        self.out = nn.Linear(dim, len(self.speakers))

    def pooled(self, x: torch.Tensor) -> torch.Tensor:
        h = self.convs(x.transpose(1, 2))
        return self.embedding(torch.cat([h.mean(-1), h.std(-1)], dim=1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(F.relu(self.pooled(x)))

    @torch.no_grad()
    def embed(self, wav) -> np.ndarray:
        """The utterance's embedding (before the classifier layer), for cosine scoring and EER."""
        self.eval()
        return self.pooled(torch.from_numpy(judge_features(wav))[None])[0].numpy()

    @torch.no_grad()
    def predict_embedding(self, embedding) -> str:
        """The speaker the classifier layer picks for an embedding from :meth:`embed`."""
        logits = self.out(F.relu(torch.as_tensor(np.asarray(embedding, np.float32))))
        return self.speakers[int(logits.argmax())]

    def predict(self, wav) -> str:
        return self.predict_embedding(self.embed(wav))


def train_speaker_judge(train_utts, speakers: list[str], steps: int = 1500, batch_size: int = 32,
                        crop_seconds: float = 2.0, lr: float = 1e-3, seed: int = 0, progress: bool = True):
    """Cross-entropy on degraded random crops of ``train_utts`` (ground truth); returns ``(model, history)``.

    Each step draws ``batch_size`` utterances, crops ``crop_seconds`` from each, degrades the
    crop (:func:`resynth_lib.evaluation.phone_recogniser.augment`) and masks its features;
    ``history`` logs the loss and training accuracy every 50 steps (and at the end).
    Taught in notebook 07b (``07b_judges_and_evaluation``).

    Example
    -------
    Two steps on two utterances (the shipped judge: 1500 steps on the train split):

    >>> from resynth_lib.data.corpus import load_corpus
    >>> utts = [load_corpus().utterances(split="valid", speaker=s)[0] for s in ("awb", "slt")]
    >>> judge, history = train_speaker_judge(utts, ["awb", "slt"], steps=2, batch_size=2, crop_seconds=0.5,
    ...                                      progress=False)
    >>> history["step"], judge.speakers, judge.training
    ([2], ['awb', 'slt'], False)
    """
    from resynth_lib.core.rates import SAMPLE_RATE
    rng = np.random.default_rng(seed)
    wavs = [u.waveform() for u in train_utts]
    labels = np.array([speakers.index(u.speaker) for u in train_utts])
    crop = int(crop_seconds * SAMPLE_RATE)
    with seeded(seed):
        model = SpeakerJudge(speakers)
        opt = torch.optim.AdamW(model.parameters(), lr)

        def step_fn(step):
            model.train()
            idx = rng.integers(0, len(wavs), batch_size)
            feats = []
            for i in idx:
                w = wavs[i]
                start = int(rng.integers(0, max(1, len(w) - crop)))
                feats.append(spec_augment(torch.from_numpy(judge_features(augment(w[start:start + crop], rng))), rng))
            x = nn.utils.rnn.pad_sequence(feats, batch_first=True)
            logits = model(x)
            y = torch.from_numpy(labels[idx])
            loss = F.cross_entropy(logits, y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            return {"loss": loss.item(), "accuracy": float((logits.argmax(1) == y).float().mean())}

        history = TrainingLoop("speaker judge", steps, {"model": model, "opt": opt}, rng, log_every=50,
                               history={"step": [], "loss": [], "accuracy": [], "seconds": 0.0}, progress=progress,
                               show=lambda h: {"loss": f"{h['loss'][-1]:.3f}", "acc": f"{h['accuracy'][-1]:.2f}"}
                               ).run(step_fn)
    return model.eval(), history


def load_speaker_judge(path=None) -> SpeakerJudge:
    """The shipped judge (default ``data/checkpoints/speaker_judge.pt``), or the one saved at ``path``.

    The model comes back in eval mode; a missing file raises an error that says how to
    train one. The shipped judge is loaded in notebooks 06d, 07 and 07b and by ``resynth demo``.

    Example
    -------
    >>> import tempfile
    >>> from resynth_lib.core.checkpoints import save_checkpoint
    >>> from pathlib import Path
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = save_checkpoint(SpeakerJudge(["awb", "slt"], channels=8, dim=4), Path(tmp) / "judge.pt", {})
    ...     judge = load_speaker_judge(path)
    >>> judge.speakers, judge.config["dim"], judge.training
    (['awb', 'slt'], 4, False)
    """
    from resynth_lib.core.checkpoints import load_checkpoint
    return load_checkpoint(SpeakerJudge, path if path is not None else CHECKPOINT_DIR / "speaker_judge.pt",
                        "train one with `resynth train speaker-judge`")


def judge_accuracy(judge, utterances, degrade=None) -> float:
    """Fraction of ``utterances`` (optionally passed through ``degrade(wav)``) the judge assigns to their speaker.

    ``judge`` needs only a ``predict(wav)`` method. With it, notebook 07b compares the
    pipeline's d-vector centroids and the speaker judge on clean and noisy audio.

    Example
    -------
    >>> from types import SimpleNamespace
    >>> from resynth_lib.data.corpus import load_corpus
    >>> from resynth_lib.evaluation.phone_recogniser import add_white_noise
    >>> utts = [load_corpus().utterances(split="test", speaker=s)[0] for s in ("awb", "slt")]
    >>> always_awb = SimpleNamespace(predict=lambda wav: "awb")       # a stand-in judge
    >>> judge_accuracy(always_awb, utts)
    0.5
    >>> judge_accuracy(always_awb, utts, degrade=lambda w: add_white_noise(w, 20.0, np.random.default_rng(0)))
    0.5
    """
    return float(np.mean([judge.predict(degrade(u.waveform()) if degrade else u.waveform()) == u.speaker
                          for u in utterances]))


def main(argv=None) -> int:
    """``resynth train speaker-judge``: the evaluation's speaker classifier, on degraded ground-truth audio.

    Trains, measures the accuracy on the valid and test splits (and on the test split with
    white noise at 20 dB SNR), and writes the checkpoint with its record. Taught in
    notebook 07b (``07b_judges_and_evaluation``).

    Example
    -------
    Training takes minutes; this is how the ``resynth`` command reaches it:

    >>> from resynth_lib.cli.main import resolve
    >>> resolve(("train", "speaker-judge")) is main
    True
    """
    import sys

    from resynth_lib.core.checkpoints import save_checkpoint
    from resynth_lib.core.config import machine_info
    from resynth_lib.data.corpus import load_corpus
    parser = TrainingCommand("resynth train speaker-judge", main.__doc__)
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--out", default=str(CHECKPOINT_DIR / "speaker_judge.pt"))
    args = parser.parse_args(argv)
    out = parser.output(args)
    corpus = load_corpus()
    model, history = train_speaker_judge(corpus.utterances(split="train"), corpus.speakers, args.steps, seed=args.seed)
    test = corpus.utterances(split="test")
    noise = np.random.default_rng(20)
    accuracy = {"valid": judge_accuracy(model, corpus.utterances(split="valid")), "test": judge_accuracy(model, test),
                "test_white_noise_20db": judge_accuracy(model, test, lambda w: add_white_noise(w, 20.0, noise))}
    record = {"command": "resynth train speaker-judge " + " ".join(sys.argv[3:] if argv is None else argv),
              "steps": args.steps, "seed": args.seed, "trained_on": "train split, ground truth, degraded copies",
              "wall_seconds": round(history["seconds"], 1), "loss_curve": history["loss"],
              "train_accuracy_curve": history["accuracy"], "accuracy_ground_truth": accuracy, "machine": machine_info()}
    save_checkpoint(model, out, record, force=args.force)
    print(f"wrote {out}: accuracy on ground truth, valid {accuracy['valid']:.1%}, test {accuracy['test']:.1%}, "
          f"test with white noise at 20 dB SNR {accuracy['test_white_noise_20db']:.1%}")
    return 0
