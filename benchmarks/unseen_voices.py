"""Voices the course never trained on: does resynthesis keep their pitch, and does conversion land on the target?

    python benchmarks/unseen_voices.py [--make]

The clips live in ``data/unseen_voices/`` (shipped FLAC files, two sentences per voice), from two
synthesisers the course never trained on:

* ``espeak-ng`` (formant synthesis): 9 voices, five female and four male variants, reading two
  held-out test sentences of the corpus;
* ``festival`` with 8 voices built from recordings of real speakers (diphone voices, one HTS
  voice): an American English male (ked), Italian female and male, Czech female and male,
  Finnish female and male, a Catalan female; the non-English voices read two short sentences
  of their own language, written for this benchmark.

``--make`` regenerates them (needs ``apt-get install espeak-ng festival festvox-kdlpc16k
festvox-italp16k festvox-itapc16k festvox-czech-dita festvox-czech-machac festvox-suopuhe-lj
festvox-suopuhe-mv festvox-ca-ona-hts``).
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
# festival voice -> (its language's two sentences, or None for the corpus's English test sentences)
FESTIVAL = {
    "ked_diphone": None,
    "lp_diphone": ("Il gatto dorme sul divano vicino alla finestra.", "Domani andiamo al mare con i nostri amici."),
    "pc_diphone": ("Il gatto dorme sul divano vicino alla finestra.", "Domani andiamo al mare con i nostri amici."),
    "czech_dita": ("Dnes je pekne pocasi a jdeme na prochazku.", "Moje sestra ma rada cerveny caj."),
    "czech_machac": ("Dnes je pekne pocasi a jdeme na prochazku.", "Moje sestra ma rada cerveny caj."),
    "suo_fi_lj_diphone": ("Talvella on kylmaa ja lunta sataa paljon.", "Huomenna menemme kauppaan ostamaan leipaa."),
    "hy_fi_mv_diphone": ("Talvella on kylmaa ja lunta sataa paljon.", "Huomenna menemme kauppaan ostamaan leipaa."),
    "upc_ca_ona_hts": ("Avui fa un dia molt bonic a la ciutat.", "El meu germa viu prop del mar."),
}


def synthesise(command: list[str], out: Path, text: str | None = None) -> None:
    """Run a synthesiser that writes ``x.wav`` in a scratch folder; save it as 16 kHz FLAC."""
    with tempfile.TemporaryDirectory() as tmp:
        wav, txt = Path(tmp) / "x.wav", Path(tmp) / "x.txt"
        if text is not None:
            txt.write_text(text + "\n")
        subprocess.run([a.replace("{wav}", str(wav)).replace("{txt}", str(txt)) for a in command], check=True,
                       capture_output=True)
        save_audio(out, load_audio(wav), overwrite=True)


def make_clips() -> None:
    for tool in ("espeak-ng", "text2wave"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is not installed: see `python benchmarks/unseen_voices.py --help`")
    texts = [u.text for u in load_corpus().utterances(split="test", speaker="awb")[:2]]
    CLIPS.mkdir(parents=True, exist_ok=True)
    for voice in VOICES:
        for i, text in enumerate(texts):
            synthesise(["espeak-ng", "-v", voice, "-s", "150", "-w", "{wav}", text],
                       CLIPS / f"{voice.replace('+', '_')}_{i}.flac")
    for voice, own in FESTIVAL.items():
        for i, text in enumerate(own or texts):
            synthesise(["text2wave", "-eval", f"(voice_{voice})", "{txt}", "-o", "{wav}"],
                       CLIPS / f"festival_{voice}_{i}.flac", text)
    espeak = subprocess.run(["espeak-ng", "--version"], capture_output=True, text=True).stdout.strip()
    festival = subprocess.run(["festival", "--version"], capture_output=True, text=True).stdout.strip()
    (CLIPS / "README.md").write_text(
        "# Unseen voices\n\nVoices the course never trained on, resampled to 16 kHz, for "
        "`benchmarks/unseen_voices.py` and `tests/pipeline/test_unseen_voices.py`. Made by "
        "`python benchmarks/unseen_voices.py --make`.\n\n"
        f"- `en-us_*`: {espeak}, formant synthesis, reading two held-out test sentences of the corpus:\n"
        + "".join(f"  - {i}: {t}\n" for i, t in enumerate(texts))
        + f"- `festival_*`: {festival}, diphone voices cut from recordings of real speakers (and one HTS voice, "
        "upc_ca_ona_hts). ked_diphone (American English, male) reads the same two sentences; the others read two "
        "sentences of their own language, written for this benchmark:\n"
        + "".join(f"  - {v}: " + " / ".join(own) + "\n" for v, own in FESTIVAL.items() if own))


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


def summary(rows, name: str) -> str:
    errors = np.array([abs(row["error_st"]) for row in rows])
    ffes = np.array([row["ffe"] for row in rows])
    line = (f"| {name} | {len(rows)} | {np.median(errors):.2f} | {errors.max():.2f} | {np.median(ffes):.1%} | "
            f"{ffes.mean():.1%} | {ffes.max():.1%} | ")
    conv = [abs(v) for row in rows for v in row.get("conversion_st", {}).values()]
    return line + (f"{max(conv):.2f} |" if conv else "– |")


def test_split_rows(r: Resynthesiser) -> list[dict]:
    """The corpus's 88 test utterances through the same route (speaker recognised, no conversion)."""
    rows = []
    for u in load_corpus().utterances(split="test"):
        wav = u.waveform()
        out = r.decode(r.encode(wav, name=u.utt_id))
        f_in, f_out = track_f0(wav), track_f0(out)
        n = min(len(f_in), len(f_out))
        rows.append({"clip": u.utt_id, "error_st": 12 * np.log2(median_f0(f_out) / median_f0(f_in)),
                     "ffe": ffe(f_in[:n], f_out[:n])})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], epilog=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--make", action="store_true", help="regenerate the clips with espeak-ng and festival")
    parser.add_argument("--no-test-split", action="store_true", help="skip the corpus test split's summary row")
    args = parser.parse_args()
    if args.make or not any(CLIPS.glob("*.flac")):
        make_clips()
    t0 = time.perf_counter()
    r = Resynthesiser()
    rows = [measure(r, p) for p in sorted(CLIPS.glob("*.flac"))]
    seconds = time.perf_counter() - t0
    lines = ["# Unseen voices: resynthesis and conversion (espeak-ng and festival voices, never trained on)", "",
             f"`OMP_NUM_THREADS=1 python benchmarks/unseen_voices.py`: {len(rows)} clips in data/unseen_voices/ "
             f"({seconds:.0f} s). Median F0 by the course tracker; FFE of the output's F0 track against the input's; "
             "conversion: output median F0 minus the target speaker's mean, in semitones. Every clip's own log-F0 "
             "statistics travel with its codes (32 bits); 'judged unseen' means its pitch lies outside the "
             "recognised speaker's range, so the timbre is that of the speaker nearest in pitch.", "",
             "## Summary", "",
             "| set | clips | median-F0 error, median (st) | worst (st) | FFE median | FFE mean | FFE worst | "
             "conversion, worst (st) |", "|---|---|---|---|---|---|---|---|",
             summary([r_ for r_ in rows if r_["clip"].startswith("en-us")], "espeak-ng (9 voices)"),
             summary([r_ for r_ in rows if r_["clip"].startswith("festival")], "festival (8 voices)"),
             summary(rows, "all unseen voices")]
    if not args.no_test_split:
        lines.append(summary(test_split_rows(r), "corpus test split (seen voices, unseen sentences)"))
    lines += ["", "Goals (issue 16): median-F0 error within 1 semitone, FFE <= 25 % on the unseen set, conversion "
              "within 1 semitone of the target.", "", "## Every clip", "",
              "| clip | timbre of | judged unseen | F0 in (Hz) | F0 out (Hz) | error (st) | FFE | conversion (st): "
              + ", ".join(r.speakers) + " |", "|---|---|---|---|---|---|---|---|"]
    for row in rows:
        lines.append(f"| {row['clip']} | {row['speaker']} | {'yes' if row['unseen'] else 'no'} | {row['f0_in']:.0f} | "
                     f"{row['f0_out']:.0f} | {row['error_st']:+.2f} | {row['ffe']:.1%} | "
                     + ", ".join(f"{v:+.2f}" for v in row["conversion_st"].values()) + " |")
    out = Path(__file__).parent / "results" / "unseen_voices.md"
    out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
