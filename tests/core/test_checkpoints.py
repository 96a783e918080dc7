"""The one checkpoint format: round trip, refusals, clear errors, and every shipped file in it."""
import json

import pytest
import torch

from resynth_lib.core.checkpoints import FORMAT, load_checkpoint, read_checkpoint, save_checkpoint
from resynth_lib.core.config import CHECKPOINT_DIR


class Tiny(torch.nn.Module):
    def __init__(self, width=3, depth=1):
        super().__init__()
        self.config = {"width": width, "depth": depth}
        self.layers = torch.nn.ModuleList(torch.nn.Linear(width, width) for _ in range(depth))


class Other(Tiny):
    pass


def test_round_trip_rebuilds_from_the_config(tmp_path):
    model = Tiny(4, 2)
    path = save_checkpoint(model, tmp_path / "m.pt", {"steps": 3}, extra={"speakers": ["a", "b"]})
    loaded = load_checkpoint(Tiny, path)
    assert loaded.config == {"width": 4, "depth": 2} and not loaded.training
    assert loaded.checkpoint_extra == {"speakers": ["a", "b"]}
    for a, b in zip(model.state_dict().values(), loaded.state_dict().values()):
        assert torch.equal(a, b)
    assert json.loads((tmp_path / "m.json").read_text()) == {"steps": 3}


def test_refusals_and_errors_say_what_to_do(tmp_path):
    path = save_checkpoint(Tiny(), tmp_path / "m.pt", {})
    with pytest.raises(FileExistsError, match="--force"):
        save_checkpoint(Tiny(), path, {})
    save_checkpoint(Tiny(5), path, {}, force=True)
    with pytest.raises(ValueError, match="holds a Tiny, expected Other"):
        load_checkpoint(Other, path)
    with pytest.raises(FileNotFoundError, match="resynth train tiny"):
        load_checkpoint(Tiny, tmp_path / "missing.pt", "train one with `resynth train tiny`")
    torch.save(Tiny().state_dict(), tmp_path / "old.pt")
    with pytest.raises(ValueError, match="convert_checkpoints"):
        read_checkpoint(tmp_path / "old.pt")


@pytest.mark.parametrize("path", sorted(CHECKPOINT_DIR.glob("*.pt")), ids=lambda p: p.name)
def test_every_shipped_checkpoint_is_in_the_one_format_with_its_record(path):
    state = read_checkpoint(path)
    assert state["format"] == FORMAT and state["config"] and state["state_dict"]
    assert path.with_suffix(".json").exists(), f"{path.name} has no training record"
