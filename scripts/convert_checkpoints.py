"""Convert the shipped checkpoints of data/checkpoints to the one format of resynth_lib.core.checkpoints.

Before the library restructure (issue 15) four formats co-existed: ``{config, state_dict}``;
``{kind, config, state_dict}`` (SSL models); ``{config, speakers, state_dict}`` (d-vectors);
and bare state dicts whose model sizes had to be guessed from weight shapes (beta-VAE,
F0 VQ-VAE). This script rewrites every ``.pt`` in the new format, leaves the JSON training
records untouched, and then checks, file by file, that the new loader rebuilds a model whose
every tensor is bit-identical to the old file's, with the same configuration. Files already
converted are only checked.

    python scripts/convert_checkpoints.py [--dir data/checkpoints] [--check-only]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

from resynth_lib.concepts.beta_vae import BetaVAE, load_beta_vae
from resynth_lib.content.ssl_models import CPCModel, HuBERTModel, load_ssl_model
from resynth_lib.core.checkpoints import FORMAT, _payload, load_checkpoint
from resynth_lib.decoder.acoustic import AcousticModel
from resynth_lib.decoder.harmonic_noise import HarmonicNoiseVocoder
from resynth_lib.decoder.hifigan import Vocoder
from resynth_lib.evaluation.phone_recogniser import PhoneRecogniser
from resynth_lib.evaluation.speaker_judge import SpeakerJudge
from resynth_lib.evaluation.unit_recogniser import UnitPhoneRecogniser
from resynth_lib.pitch.f0_vqvae import F0VQVAE, load_f0_vqvae
from resynth_lib.speaker.dvector import DVectorEncoder, load_dvector

CLASSES = {"acoustic": AcousticModel, "harmonic_noise": HarmonicNoiseVocoder, "phone_recogniser": PhoneRecogniser,
           "speaker_judge": SpeakerJudge, "unit_phone_recogniser": UnitPhoneRecogniser, "vocoder": Vocoder,
           "dvector": DVectorEncoder, "beta_vae": BetaVAE, "f0_vqvae": F0VQVAE, "ssl": None}
LOADERS = {"beta_vae": load_beta_vae, "f0_vqvae": load_f0_vqvae, "dvector": load_dvector, "ssl": load_ssl_model}


def family(path: Path) -> str:
    return next(k for k in sorted(CLASSES, key=len, reverse=True) if path.stem.startswith(k))


def old_model(path: Path, state: dict):
    """(model, extra) rebuilt from a pre-restructure file."""
    kind = family(path)
    if "state_dict" not in state:                            # a bare state dict: sizes from the weights
        weights = state
        if kind == "beta_vae":
            hidden, inp = weights["encoder.0.weight"].shape
            config = {"input_dim": inp, "latent_dim": weights["encoder.4.weight"].shape[0] // 2, "hidden_dim": hidden}
        else:
            n_codes, code_dim = weights["codebook.embed"].shape
            width, in_channels = weights["encoder.0.weight"].shape[:2]
            levels = sum(1 for k in weights if k.startswith("encoder.") and k.endswith(".weight")
                         and weights[k].ndim == 3 and weights[k].shape[-1] == 4)
            config = {"width": width, "code_dim": code_dim, "n_codes": n_codes, "levels": levels, "in_channels": in_channels}
    else:
        weights, config = state["state_dict"], state["config"]
    cls = {"cpc": CPCModel, "hubert": HuBERTModel}[state["kind"]] if kind == "ssl" else CLASSES[kind]
    model = cls(**config)
    model.load_state_dict(weights)
    extra = {"speakers": list(state["speakers"])} if kind == "dvector" else {}
    return model, extra, weights


def check(path: Path, weights: dict) -> None:
    kind = family(path)
    model = LOADERS[kind](path) if kind in LOADERS else load_checkpoint(CLASSES[kind], path)
    new = model.state_dict()
    assert set(new) == set(weights), f"{path}: parameter names differ"
    for k, v in weights.items():
        assert torch.equal(new[k], v), f"{path}: tensor {k} changed"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", default=str(Path(__file__).resolve().parents[1] / "data" / "checkpoints"))
    parser.add_argument("--check-only", action="store_true")
    args = parser.parse_args(argv)
    for path in sorted(Path(args.dir).glob("*.pt")):
        state = torch.load(path, map_location="cpu", weights_only=True)
        if state.get("format") == FORMAT:
            check(path, state["state_dict"])
            print(f"{path.name}: already format {FORMAT}; tensors check")
            continue
        if args.check_only:
            print(f"{path.name}: old format", file=sys.stderr)
            return 1
        model, extra, weights = old_model(path, state)
        torch.save(_payload(model, extra), path)
        check(path, weights)
        print(f"{path.name}: converted ({type(model).__name__}, {len(weights)} tensors bit-identical)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
