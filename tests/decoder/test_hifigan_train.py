"""Tests of vocoder training: windows, exact resume, and DistributedDataParallel under torchrun (notebook 06b)."""
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch

from resynth_lib.decoder import hifigan
from resynth_lib.decoder import hifigan_train as VT


def _toy_data(seed=0, n=3, frames=40):
    rng = np.random.default_rng(seed)
    return [{"units": rng.integers(0, 10, frames), "f0_codes": rng.integers(0, 20, frames // 4), "speaker": i % 2,
             "wav": (0.1 * rng.standard_normal(frames * 320)).astype(np.float32)} for i in range(n)]


def test_windows_keep_the_streams_aligned():
    data = _toy_data()
    data[0]["units"] = np.arange(40)
    data[0]["f0_codes"] = np.arange(10)
    data[0]["wav"] = np.repeat(np.arange(40), 320).astype(np.float32)
    units, f0, spk, wav, f0_hz = VT.random_windows(data[:1], 5, 8, np.random.default_rng(0))
    assert f0_hz is None                                                 # no decoded F0 in these items
    assert units.shape == (5, 8) and f0.shape == (5, 2) and wav.shape == (5, 1, 8 * 320)
    for u, f, w in zip(units, f0, wav):
        assert int(u[0]) % 4 == 0 and int(f[0]) == int(u[0]) // 4        # windows start on F0-code boundaries
        np.testing.assert_array_equal(w[0, ::320].numpy(), u.numpy())   # audio sample 320 t belongs to unit t
    with pytest.raises(ValueError, match="multiple of 4"):
        VT.random_windows(data, 1, 6, np.random.default_rng(0))


def test_resume_gives_the_uninterrupted_result(tmp_path):
    data = _toy_data()
    common = dict(steps=4, batch_size=2, frames=8, channels=16, n_speakers=2, progress=False, log_every=1)
    full, hist = VT.train_vocoder(data, **common)
    ckpt = tmp_path / "r.pt"
    VT.train_vocoder(data, checkpoint_path=ckpt, stop_at=2, **common)
    resumed, hist2 = VT.train_vocoder(data, checkpoint_path=ckpt, resume=True, **common)
    for a, b in zip(full.state_dict().values(), resumed.state_dict().values()):
        torch.testing.assert_close(a, b)
    assert hist2["mel"] == pytest.approx(hist["mel"])


def test_save_load_round_trip(tmp_path):
    voc = hifigan.Vocoder(n_units=10, n_speakers=2, channels=16).eval()
    path = hifigan.save_vocoder(voc, tmp_path / "v.pt", {"steps": 0})
    loaded = hifigan.load_vocoder(path)
    x = (torch.zeros(1, 8, dtype=torch.long), torch.zeros(1, 2, dtype=torch.long), torch.tensor([1]))
    with torch.no_grad():
        torch.testing.assert_close(voc(*x), loaded(*x))


def test_two_processes_with_gloo_stay_in_sync(tmp_path):
    """torchrun --nproc_per_node=2 on CPU: DDP averages gradients, so both ranks end with the same weights."""
    script = tmp_path / "ddp.py"
    script.write_text(textwrap.dedent(f"""
        import os, sys, torch
        sys.path.insert(0, {str(__import__('pathlib').Path(__file__).resolve().parent)!r})
        from test_hifigan_train import _toy_data
        from resynth_lib.decoder import hifigan_train as VT
        from resynth_lib.decoder import codes
        from resynth_lib.decoder import hifigan
        torch.set_num_threads(1)
        voc, hist = VT.train_vocoder(_toy_data(), steps=2, batch_size=1, frames=8, channels=16, n_speakers=2,
                                     progress=False, log_every=1)
        torch.save(voc.state_dict(), os.path.join({str(tmp_path)!r}, f"rank{{os.environ['RANK']}}.pt"))
    """))
    run = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2", "--master_port=29517",
                          str(script)], capture_output=True, text=True, timeout=300,
                         env={**__import__("os").environ, "OMP_NUM_THREADS": "1"})
    assert run.returncode == 0, run.stderr[-2000:]
    a, b = torch.load(tmp_path / "rank0.pt"), torch.load(tmp_path / "rank1.pt")
    for key in a:
        torch.testing.assert_close(a[key], b[key])
    # and the two ranks really saw different windows: one process alone ends elsewhere
    single, _ = VT.train_vocoder(_toy_data(), steps=2, batch_size=1, frames=8, channels=16, n_speakers=2,
                                 progress=False)
    assert any(not torch.allclose(a[k], single.state_dict()[k]) for k in a if a[k].dtype.is_floating_point)


def test_export_resume_ships_the_generator_of_a_resume_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "runs").mkdir()
    trained, hist = VT.train_vocoder(_toy_data(), steps=2, batch_size=1, frames=8, channels=16, n_speakers=2,
                                     progress=False, log_every=1, checkpoint_path=tmp_path / "runs" / "v_resume.pt")
    assert VT.main(["--export-resume", "--out", "v.pt", "--channels", "16"]) == 0
    shipped = hifigan.load_vocoder(tmp_path / "v.pt")
    for a, b in zip(trained.state_dict().values(), shipped.state_dict().values()):
        torch.testing.assert_close(a, b)
    record = __import__("json").loads((tmp_path / "v.json").read_text())
    assert record["steps"] == 2 and record["final_mel_l1"] == hist["mel"][-1] and "--export-resume" not in record["command"]
    with pytest.raises(FileExistsError):                                   # never overwrites without --force
        VT.main(["--export-resume", "--out", "v.pt", "--channels", "16"])
