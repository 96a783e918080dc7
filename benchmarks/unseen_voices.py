"""Voices the course never trained on: does resynthesis keep their pitch, and does conversion land on the target?

    python benchmarks/unseen_voices.py [--make]

The clips live in ``data/unseen_voices/`` (shipped: 18 FLAC files, 9 voices x 2 held-out test
sentences, made with the ``espeak-ng`` synthesiser, which the course never trained on: five
female and four male variants). ``--make`` regenerates them (needs ``apt-get install espeak-ng``).
For each clip: ``resynth encode`` (speaker recognised) then ``resynth decode``: median-F0 error
in semitones and FFE against the input (course tracker); and conversion to every training
speaker: the output's median F0 against that speaker's mean, in semitones. Writes
``benchmarks/results/unseen_voices.md``. Goals (issue 16): median-F0 error within 1 semitone
and FFE <= 25 % on the set; conversion within 1 semitone of the target.
"""
import argparse
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

from resynth_lib.core.audio import load_audio, save_audio
from resynth_lib.core.config import DATA_DIR
from resynth_lib.data.corpus import load_corpus
from resynth_lib.pipeline.resynthesiser import Resynthesiser
from resynth_lib.pitch.f0_metrics import ffe
from resynth_lib.pitch.yin import track_f0

CLIPS = DATA_DIR / "unseen_voices"
VOICES = ["en-us+f1", "en-us+f2", "en-us+f3", "en-us+f4", "en-us+f5", "en-us+m1", "en-us+m2", "en-us+m3", "en-us+m4"]


def make_clips() -> None:
    if shutil.which("espeak-ng") is None:
        raise SystemExit("espeak-ng is not installed: apt-get install espeak-ng")
    texts = [u.text for u in load_corpus().utterances(split="test", speaker="awb")[:2]]
    CLIPS.mkdir(parents=True, exist_ok=True)
    for voice in VOICES:
        for i, text in enumerate(texts):
            with tempfile.TemporaryDirectory() as tmp:
                wav = Path(tmp) / "x.wav"
                subprocess.run(["espeak-ng", "-v", voice, "-s", "150", "-w", str(wav), text], check=True)
                save_audio(CLIPS / f"{voice.replace('+', '_')}_{i}.flac", load_audio(wav), overwrite=True)
    (CLIPS / "README.md").write_text(
        "# Unseen voices\n\nespeak-ng (" + subprocess.run(["espeak-ng", "--version"], capture_output=True,
                                                          text=True).stdout.strip()
        + ") reading two held-out test sentences, resampled to 16 kHz: voices the course never trained on, for "
        "`benchmarks/unseen_voices.py` and `tests/pipeline/test_unseen_voices.py`. Made by "
        "`python benchmarks/unseen_voices.py --make`.\n\n" + "\n".join(f"- {i}: {t}" for i, t in enumerate(texts)) + "\n")


def median_f0(f0) -> float:
    return float(np.median(f0[f0 > 0]))


def measure(r: Resynthesiser, path: Path) -> dict:
    wav = load_audio(path)
    codes = r.encode(wav, name=str(path))
    unseen = r.last_unseen
    out = r.decode(codes)
    f_in, f_out = track_f0(wav), track_f0(out)
    n = min(len(f_in), len(f_out))
    conversion = {s: 12 * np.log2(median_f0(track_f0(r.decode(codes, speaker=s))) / np.exp(r.f0_stats[s]["log_mean"]))
                  for s in r.speakers}
    return {"clip": path.stem, "speaker": codes.speaker, "unseen": unseen,
            "f0_in": median_f0(f_in), "f0_out": median_f0(f_out),
            "error_st": 12 * np.log2(median_f0(f_out) / median_f0(f_in)), "ffe": ffe(f_in[:n], f_out[:n]),
            "conversion_st": conversion}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--make", action="store_true", help="regenerate the clips with espeak-ng")
    args = parser.parse_args()
    if args.make or not any(CLIPS.glob("*.flac")):
        make_clips()
    t0 = time.perf_counter()
    r = Resynthesiser()
    rows = [measure(r, p) for p in sorted(CLIPS.glob("*.flac"))]
    worst_conv = max(abs(v) for row in rows for v in row["conversion_st"].values())
    lines = ["# Unseen voices: resynthesis and conversion (espeak-ng, never trained on)", "",
             f"{len(rows)} clips in data/unseen_voices/, {time.perf_counter() - t0:.0f} s. Median F0 by the course "
             "tracker; conversion: output median F0 minus the target speaker's mean, in semitones. Every clip's own "
             "log-F0 statistics travel with its codes (32 bits); 'judged unseen' means its pitch lies outside the "
             "recognised speaker's range, so the timbre is that of the speaker nearest in pitch.", "",
             "| clip | timbre of | judged unseen | F0 in (Hz) | F0 out (Hz) | error (st) | FFE | conversion (st): "
             + ", ".join(r.speakers) + " |", "|---|---|---|---|---|---|---|---|"]
    for row in rows:
        lines.append(f"| {row['clip']} | {row['speaker']} | {'yes' if row['unseen'] else 'no'} | {row['f0_in']:.0f} | "
                     f"{row['f0_out']:.0f} | {row['error_st']:+.2f} | {row['ffe']:.1%} | "
                     + ", ".join(f"{v:+.2f}" for v in row["conversion_st"].values()) + " |")
    errors = np.array([abs(row["error_st"]) for row in rows])
    ffes = np.array([row["ffe"] for row in rows])
    lines += ["", f"- median-F0 error: median {np.median(errors):.2f} st, worst {errors.max():.2f} st (goal within 1)",
              f"- FFE: median {np.median(ffes):.1%}, mean {ffes.mean():.1%}, worst {ffes.max():.1%} (goal <= 25 %)",
              f"- conversion: worst {worst_conv:.2f} st from the target's mean (goal within 1)"]
    out = Path(__file__).parent / "results" / "unseen_voices.md"
    out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
