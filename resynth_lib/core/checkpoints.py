"""One checkpoint format for every model the course trains and ships.

A checkpoint is two files side by side:

* ``NAME.pt`` -- ``{"format": 1, "model": class name, "config": ..., "state_dict": ...,
  "extra": {...}}``: the inference weights, the keyword arguments that rebuild the model
  (``cls(**config)``, so nothing is guessed from weight shapes) and anything else the model
  needs at inference (the speaker list of a d-vector encoder, say);
* ``NAME.json`` -- the training record: command, steps, seed, losses, machine, time.

:func:`save_checkpoint` writes both (refusing to overwrite without ``force``);
:func:`load_checkpoint` rebuilds the model in eval mode and says which command trains it
when the file is missing. Training *resume* files (optimiser state, RNG state) are a
different thing, kept in ``runs/`` by :mod:`resynth_lib.core.training`. The shipped
checkpoints were converted to this format by ``scripts/convert_checkpoints.py``, which
checks that every tensor is unchanged. Used from notebook 01 on; shown in notebook 00
(``00_audio_and_data``).

Example
-------
>>> import tempfile
>>> from resynth_lib.concepts.beta_vae import BetaVAE     # any course model with a .config
>>> path = save_checkpoint(BetaVAE(input_dim=8, latent_dim=2), Path(tempfile.mkdtemp()) / "vae.pt", {"steps": 0})
>>> load_checkpoint(BetaVAE, path, "train one").config
{'input_dim': 8, 'latent_dim': 2, 'hidden_dim': 128}
>>> read_checkpoint(path)["model"], path.with_suffix(".json").exists()
('BetaVAE', True)
"""
from __future__ import annotations

import json
from pathlib import Path

FORMAT = 1


def _payload(model, extra: dict | None = None) -> dict:
    """What a ``.pt`` checkpoint holds (also used by ``scripts/convert_checkpoints.py``)."""
    return {"format": FORMAT, "model": type(model).__name__, "config": dict(model.config),
            "state_dict": {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()},
            "extra": dict(extra or {})}


def save_checkpoint(model, path, record: dict, force: bool = False, extra: dict | None = None) -> Path:
    """Write ``model`` (its ``config`` and ``state_dict``) to ``path`` and ``record`` to ``path.json``.

    ``extra`` holds plain data the model needs at inference besides its weights. Refuses to
    replace an existing file unless ``force``. Every shipped checkpoint is written by this
    function (from notebook 01 on; the format is explained in notebook 00).

    Example
    -------
    >>> import tempfile
    >>> from resynth_lib.concepts.beta_vae import BetaVAE     # any course model with a .config
    >>> path = save_checkpoint(BetaVAE(input_dim=8), Path(tempfile.mkdtemp()) / "t.pt", {"steps": 1}, extra={"note": "hi"})
    >>> json.loads(path.with_suffix(".json").read_text())
    {'steps': 1}
    >>> save_checkpoint(BetaVAE(input_dim=8), path, {})          # doctest: +ELLIPSIS
    Traceback (most recent call last):
    FileExistsError: ...t.pt exists; pass force=True (--force) to replace it
    """
    import torch
    path = Path(path)
    if path.exists() and not force:
        raise FileExistsError(f"{path} exists; pass force=True (--force) to replace it")
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(_payload(model, extra), path)
    path.with_suffix(".json").write_text(json.dumps(record, indent=2) + "\n")
    return path


def read_checkpoint(path, how_to_make: str = "") -> dict:
    """The dictionary stored by :func:`save_checkpoint`, checked (notebook 00 explains the format).

    A missing file raises ``FileNotFoundError`` ending with ``how_to_make`` (the command that
    trains it); a file in another format raises ``ValueError``.

    Example
    -------
    >>> read_checkpoint("no/such.pt", "train one with `resynth train x`")
    Traceback (most recent call last):
    FileNotFoundError: no/such.pt: no such checkpoint; train one with `resynth train x`
    """
    import torch
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such checkpoint; {how_to_make}".rstrip("; "))
    state = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise ValueError(f"{path}: not a resynth_lib checkpoint (format {FORMAT}); convert it with "
                         "scripts/convert_checkpoints.py or retrain it")
    return state


def load_checkpoint(classes, path, how_to_make: str = ""):
    """Rebuild a model saved by :func:`save_checkpoint`: ``cls(**config)``, weights loaded, eval mode.

    ``classes`` is the expected class, or a tuple of classes when a file may hold one of several
    (the CPC and HuBERT models of notebook 02b). The stored ``extra`` dictionary is attached as
    ``model.checkpoint_extra``. Used by every ``load_*`` function (format: notebook 00).

    Example
    -------
    >>> import tempfile
    >>> from resynth_lib.concepts.beta_vae import BetaVAE     # any course model with a .config
    >>> path = save_checkpoint(BetaVAE(input_dim=8), Path(tempfile.mkdtemp()) / "t.pt", {}, extra={"speakers": ["a"]})
    >>> model = load_checkpoint(BetaVAE, path)
    >>> model.training, model.checkpoint_extra
    (False, {'speakers': ['a']})
    """
    state = read_checkpoint(path, how_to_make)
    candidates = classes if isinstance(classes, tuple) else (classes,)
    by_name = {c.__name__: c for c in candidates}
    if state["model"] not in by_name:
        raise ValueError(f"{path} holds a {state['model']}, expected {' or '.join(by_name)}")
    model = by_name[state["model"]](**state["config"])
    model.load_state_dict(state["state_dict"])
    model.checkpoint_extra = state["extra"]
    return model.eval()
