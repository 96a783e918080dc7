"""Frame-wise analyses in overlapping pieces give the frames of one pass."""
import numpy as np
import pytest

from resynth_lib.core.chunking import framewise_in_chunks
from resynth_lib.core.rates import SAMPLE_RATE


def _smoothed_energy(x, hop=160, width=9):
    """A windowed analysis: each frame's energy averaged with its neighbours (needs context)."""
    frames = np.square(x[: len(x) // hop * hop].reshape(-1, hop)).mean(1)
    return np.convolve(np.pad(frames, width // 2, mode="edge"), np.ones(width) / width, mode="valid")


@pytest.mark.parametrize("seconds", [3.0, 61.7, 125.0])
def test_pieces_with_context_match_one_pass(seconds):
    x = np.random.default_rng(0).standard_normal(int(seconds * SAMPLE_RATE))
    pieces = framewise_in_chunks(x, _smoothed_energy, 160, chunk_seconds=10.0, context_seconds=0.5)
    assert np.allclose(pieces, _smoothed_energy(x))


def test_without_context_the_edges_differ():
    x = np.random.default_rng(0).standard_normal(60 * SAMPLE_RATE)
    pieces = framewise_in_chunks(x, _smoothed_energy, 160, chunk_seconds=10.0, context_seconds=0.0)
    assert pieces.shape == _smoothed_energy(x).shape and not np.allclose(pieces, _smoothed_energy(x))
