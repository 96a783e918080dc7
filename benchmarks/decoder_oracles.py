"""Where does the frame-rate decoder lose intelligibility?  Oracle rows on the validation split.

    OMP_NUM_THREADS=1 python benchmarks/decoder_oracles.py [--steps 1600] [--rows continuous centroids learned-vq] [--restart-every N]

Trains, with the shipped acoustic model's settings (``resynth train acoustic``), one extra
acoustic model whose input is the *continuous* content features (CPC GRU 2, before k-means)
instead of the unit ids, all else equal (F0 codes, decoded F0, speaker, architecture,
steps, seed). The features enter through a frozen lookup table of every frame, so the
course's training loop and ``predict`` run unchanged. Then scores, on the validation split
with the shipped phone recogniser, the phone error rate of:

* ground truth;
* ground-truth log-mel -> harmonic-noise stage (what the waveform stage loses);
* continuous features -> acoustic model -> harmonic-noise (what the acoustic model loses
  when the units lose nothing);
* units -> the given acoustic models -> harmonic-noise.

The gap between the continuous row and a unit row is what quantisation costs the decoder.

``centroids`` feeds the shipped unit ids, but each enters as its k-means centroid (the
normalised feature vector the unit stands for, a frozen table of 500 rows) through a
learnt linear map, instead of as a free embedding learnt from scratch: the same
information as the shipped model, with nearby units starting nearby.

``learned-vq`` (an experiment, not the shipped design) trains the units *for the decoder*:
a learnt linear map of the same features, then the nearest of 500 code vectors that start
as the shipped k-means centroids (so step 0 gives exactly the shipped units), trained with
the acoustic model through a straight-through estimator plus the VQ-VAE codebook and
commitment terms. Still no phone labels. Its row also gives the entropy of the codes on
the validation split (bits per frame), beside that of the k-means units.

``--restart-every N`` guards the learnt VQ against collapse: every N training batches,
each code that no frame chose is moved onto a random frame of the batch.

Writes ``benchmarks/results/decoder_oracles.md``. Timed here, not in tests.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
import resynth_lib.decoder.acoustic_train as acoustic_train  # noqa: E402
from resynth_lib.content.units import load_quantiser  # noqa: E402
from resynth_lib.data.corpus import load_corpus  # noqa: E402
from resynth_lib.decoder.acoustic import AcousticModel, load_acoustic_model, predict  # noqa: E402
from resynth_lib.decoder.harmonic_noise import load_harmonic_noise, synthesise  # noqa: E402
from resynth_lib.evaluation.phone_recogniser import load_phone_recogniser, phone_error_rate, phone_sequence  # noqa: E402


class FeatureTableModel(AcousticModel):
    """An acoustic model whose "unit ids" index a frozen table of continuous feature frames."""

    def __init__(self, table: torch.Tensor, **kw):
        super().__init__(n_units=len(table), **kw)
        self.units = torch.nn.Sequential(torch.nn.Embedding.from_pretrained(table, freeze=True),
                                         torch.nn.Linear(table.shape[1], self.config["dim"]))


class LearnedVQ(torch.nn.Module):
    """Frame ids -> features (frozen table) -> learnt map -> nearest code (straight-through) -> embedding."""

    def __init__(self, table: torch.Tensor, centroids: np.ndarray, dim: int, commitment: float = 0.25,
                 restart_every: int = 0):
        super().__init__()
        self.restart_every, self.calls = restart_every, 0
        self.register_buffer("usage", torch.zeros(len(centroids)))
        self.table = torch.nn.Embedding.from_pretrained(table, freeze=True)
        self.proj = torch.nn.Linear(table.shape[1], table.shape[1])
        torch.nn.init.eye_(self.proj.weight)
        torch.nn.init.zeros_(self.proj.bias)
        self.codebook = torch.nn.Parameter(torch.as_tensor(centroids, dtype=torch.float32).clone())
        self.embed = torch.nn.Linear(table.shape[1], dim)
        self.commitment, self.aux, self.codes = commitment, torch.zeros(()), None

    def forward(self, ids):
        x = self.proj(self.table(ids))
        self.codes = torch.cdist(x.reshape(-1, x.shape[-1]), self.codebook).argmin(-1).reshape(ids.shape)
        if self.training and self.restart_every:
            self.restart_dead_codes(x.detach().reshape(-1, x.shape[-1]))
        q = self.codebook[self.codes]
        self.aux = ((x.detach() - q) ** 2).mean() + self.commitment * ((x - q.detach()) ** 2).mean()
        return self.embed(x + (q - x).detach())


    @torch.no_grad()
    def restart_dead_codes(self, frames: torch.Tensor) -> None:
        """Every ``restart_every`` training batches, move each code no frame chose since the last restart onto a
        random frame of the current batch (so the codebook cannot collapse onto a few codes)."""
        self.usage += torch.bincount(self.codes.reshape(-1), minlength=len(self.usage)).float()
        self.calls += 1
        if self.calls % self.restart_every == 0:
            dead = torch.nonzero(self.usage == 0).reshape(-1)
            if len(dead):
                self.codebook.data[dead] = frames[torch.randint(len(frames), (len(dead),))]
            self.usage.zero_()


class LearnedVQModel(AcousticModel):
    """The acoustic model with :class:`LearnedVQ` in place of the unit embedding."""

    def __init__(self, table: torch.Tensor, centroids: np.ndarray, restart_every: int = 0, **kw):
        super().__init__(n_units=len(centroids), **kw)
        self.units = LearnedVQ(table, centroids, self.config["dim"], restart_every=restart_every)


@torch.no_grad()
def learnt_codes(model: LearnedVQModel, frame_ids) -> np.ndarray:
    """The code index the learnt VQ gives each frame."""
    model.eval().units(torch.as_tensor(frame_ids)[None])
    return model.units.codes[0].numpy()


def code_entropy(codes: np.ndarray, n: int) -> float:
    """Bits per frame of the empirical distribution of ``codes``."""
    p = np.bincount(codes, minlength=n) / len(codes)
    p = p[p > 0]
    return float(-(p * np.log2(p)).sum())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1600)
    parser.add_argument("--rows", nargs="*", default=["continuous"], choices=("continuous", "learned-vq", "centroids"),
                        help="which trained oracle rows to add (default: continuous)")
    parser.add_argument("--vq-weight", type=float, default=0.1, help="weight of the VQ terms beside the mel L1")
    parser.add_argument("--restart-every", type=int, default=0,
                        help="learnt VQ: restart codes unused for this many batches (0: never)")
    parser.add_argument("--acoustic", nargs="*", default=["500=data/checkpoints/acoustic.pt"],
                        help="K=PATH of unit acoustic models to score beside the oracle")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "decoder_oracles.md"))
    args = parser.parse_args()
    torch.set_num_threads(1)
    t0 = time.perf_counter()
    quantiser = load_quantiser(source="ssl", n_units=500)
    train, valid = (acoustic_train.cached_acoustic_data(s, n_units=500) for s in ("train", "valid"))
    corpus = load_corpus()
    by_id = {u.utt_id: u for u in corpus.utterances()}
    feats, offset = [], 0
    for d in train + valid:                     # continuous features, frame-aligned with the units
        f = quantiser.features(by_id[d["utt_id"]].waveform())[:len(d["units"])]
        assert len(f) == len(d["units"]), (len(f), len(d["units"]))
        feats.append(torch.as_tensor(np.asarray(f, np.float32)))
        d["frame_ids"] = np.arange(offset, offset + len(f))
        offset += len(f)
    raw = torch.cat(feats)
    table = (raw - raw.mean(0)) / (raw.std(0) + 1e-5)
    as_ids = lambda data: [{**d, "units": d["frame_ids"]} for d in data]  # noqa: E731
    real_model, real_loss = acoustic_train.AcousticModel, acoustic_train.acoustic_loss
    trained = {}
    try:
        if "continuous" in args.rows:
            acoustic_train.AcousticModel = lambda n_units, **kw: FeatureTableModel(table, **kw)  # the loop builds it
            trained["continuous"] = acoustic_train.train_acoustic(as_ids(train), as_ids(valid), steps=args.steps,
                                                                  n_speakers=4, model_kw={"n_units": len(table)})
        if "centroids" in args.rows:
            centroids = (torch.as_tensor(quantiser.centroids) - raw.mean(0)) / (raw.std(0) + 1e-5)
            acoustic_train.AcousticModel = lambda n_units, **kw: FeatureTableModel(centroids, **kw)
            trained["centroids"] = acoustic_train.train_acoustic(train, valid, steps=args.steps, n_speakers=4,
                                                                 model_kw={"n_units": len(centroids)})
        if "learned-vq" in args.rows:
            acoustic_train.AcousticModel = lambda n_units, **kw: LearnedVQModel(raw, quantiser.centroids,
                                                                                args.restart_every, **kw)

            def loss_with_vq(model, batch):
                terms = real_loss(model, batch)
                terms["total"] = terms["total"] + args.vq_weight * model.units.aux
                return terms
            acoustic_train.acoustic_loss = loss_with_vq
            trained["learned-vq"] = acoustic_train.train_acoustic(as_ids(train), as_ids(valid), steps=args.steps,
                                                                  n_speakers=4, model_kw={"n_units": len(table)})
    finally:
        acoustic_train.AcousticModel, acoustic_train.acoustic_loss = real_model, real_loss
    train_seconds = time.perf_counter() - t0

    recogniser, hn = load_phone_recogniser(), load_harmonic_noise()
    refs = [by_id[d["utt_id"]] for d in valid]
    references = [phone_sequence(u) for u in refs]

    def per_of(make_mel):
        wavs = []
        for d in valid:
            mel, voiced = make_mel(d)
            wavs.append(synthesise(hn, mel, d["f0_hz"], (np.asarray(voiced) > 0.5).astype(np.float32)))
        return phone_error_rate(recogniser, wavs, references)

    rows = [("ground truth", phone_error_rate(recogniser, [u.waveform() for u in refs], references), "-"),
            ("ground-truth log-mel -> harmonic-noise",
             per_of(lambda d: (d["mel"], np.asarray(d["voiced"], np.float32).reshape(-1))), "-")]
    if "continuous" in trained:
        oracle, history = trained["continuous"]
        rows.append(("continuous CPC GRU 2 features -> acoustic model -> harmonic-noise",
                     per_of(lambda d: predict(oracle, d["frame_ids"], d["f0_codes"], d["speaker"], d["f0_hz"])),
                     f"{history['valid_mel_l1'][-1]:.3f}"))
    if "centroids" in trained:
        cmodel, history = trained["centroids"]
        rows.append(("K=500 unit ids, each entering as its k-means centroid -> acoustic model -> harmonic-noise",
                     per_of(lambda d: predict(cmodel, d["units"], d["f0_codes"], d["speaker"], d["f0_hz"])),
                     f"{history['valid_mel_l1'][-1]:.3f}"))
    kmeans_bits = code_entropy(np.concatenate([d["units"] for d in valid]), 500)
    if "learned-vq" in trained:
        vq_model, history = trained["learned-vq"]
        codes = np.concatenate([learnt_codes(vq_model, d["frame_ids"]) for d in valid])
        restarts = f", dead codes restarted every {args.restart_every} batches" if args.restart_every else ""
        rows.append((f"learnt VQ (500 codes from the k-means centroids, trained with the decoder{restarts}; "
                     f"{code_entropy(codes, 500):.2f} "
                     f"bits/frame, {len(np.unique(codes))} codes used; k-means units: {kmeans_bits:.2f}) -> acoustic "
                     "model -> harmonic-noise",
                     per_of(lambda d: predict(vq_model, d["frame_ids"], d["f0_codes"], d["speaker"], d["f0_hz"])),
                     f"{history['valid_mel_l1'][-1]:.3f}"))
    for spec in args.acoustic:
        K, path = spec.split("=", 1)
        model = load_acoustic_model(ROOT / path)
        data = valid if int(K) == 500 else acoustic_train.cached_acoustic_data("valid", n_units=int(K))
        assert [d["utt_id"] for d in data] == [d["utt_id"] for d in valid]
        l1 = acoustic_train.validation_scores(model, data)["mel_l1"]
        rows.append((f"K={K} units -> acoustic model ({path}) -> harmonic-noise",
                     per_of(lambda d: predict(model, d["units"], d["f0_codes"], d["speaker"], d["f0_hz"])),
                     f"{l1:.3f}"))
    lines = ["# Where does the frame-rate decoder lose phones? (`OMP_NUM_THREADS=1 python benchmarks/decoder_oracles.py`)",
             "", f"Validation split ({len(valid)} utterances), shipped phone recogniser and harmonic-noise stage. "
             f"Trained rows: {args.steps} steps each, {train_seconds:.0f} s to build and train; "
             f"whole run {time.perf_counter() - t0:.0f} s.", "",
             "| input -> decoder | PER | valid log-mel L1 |", "|---|---|---|"]
    lines += [f"| {name} | {per:.1%} | {l1} |" for name, per, l1 in rows]
    Path(args.out).write_text("\n".join(lines) + "\n")
    Path(args.out).with_suffix(".json").write_text(json.dumps(
        {"rows": [{"system": n, "per": p, "valid_mel_l1": v} for n, p, v in rows],
         "valid_curves": {name: {k: h[k] for k in ("valid_step", "valid_mel_l1")} for name, (_, h) in trained.items()}},
        indent=1) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
