"""Where does the frame-rate decoder lose intelligibility?  Oracle rows on the validation split.

    OMP_NUM_THREADS=1 python benchmarks/decoder_oracles.py [--steps 1600]

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1600)
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
    table = torch.cat(feats)
    table = (table - table.mean(0)) / (table.std(0) + 1e-5)
    as_ids = lambda data: [{**d, "units": d["frame_ids"]} for d in data]  # noqa: E731
    real_model = acoustic_train.AcousticModel
    acoustic_train.AcousticModel = lambda n_units, **kw: FeatureTableModel(table, **kw)  # the loop builds this one
    try:
        oracle, history = acoustic_train.train_acoustic(as_ids(train), as_ids(valid), steps=args.steps, n_speakers=4,
                                                        model_kw={"n_units": len(table)})
    finally:
        acoustic_train.AcousticModel = real_model
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
    rows.append(("continuous CPC GRU 2 features -> acoustic model -> harmonic-noise",
                 per_of(lambda d: predict(oracle, d["frame_ids"], d["f0_codes"], d["speaker"], d["f0_hz"])),
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
             f"Oracle acoustic model: {args.steps} steps, {train_seconds:.0f} s to build and train; "
             f"whole run {time.perf_counter() - t0:.0f} s.", "",
             "| input -> decoder | PER | valid log-mel L1 |", "|---|---|---|"]
    lines += [f"| {name} | {per:.1%} | {l1} |" for name, per, l1 in rows]
    Path(args.out).write_text("\n".join(lines) + "\n")
    Path(args.out).with_suffix(".json").write_text(json.dumps(
        {"rows": [{"system": n, "per": p, "valid_mel_l1": v} for n, p, v in rows],
         "valid_curve": {k: history[k] for k in ("valid_step", "valid_mel_l1")}}, indent=1) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
