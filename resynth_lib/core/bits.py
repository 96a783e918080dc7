"""Bitrates of discrete code streams: how many bits per second a representation costs.

The paper's point is that speech can be sent as a few small streams of discrete codes
(content units, F0 codes and one speaker vector). This module counts what such a stream
costs: :func:`bitrate` is the fixed cost of sending each code as a ``log2(K)``-bit index,
and :func:`entropy_bitrate` is the lower cost an ideal entropy coder would reach given how
often each code is actually used. Notebook 07 adds the streams up to compare the whole
codec with ordinary audio coding.

Taught in notebook 04b (``04b_f0_vqvae``), and used again in notebooks 03b and 07.

Example
-------
>>> round(bitrate(codes_per_second=50, n_codes=100), 1)     # content units: 50 Hz, K=100
332.2
>>> entropy_bitrate([np.array([0, 1]), np.array([2, 3])])    # four codes used equally: 2 bits each
25.0
"""
from __future__ import annotations

import numpy as np

from resynth_lib.core.rates import F0_CODE_RATE, N_F0_CODES


def bitrate(codes_per_second: float = F0_CODE_RATE, n_codes: int = N_F0_CODES) -> float:
    """Bits per second of a stream of ``n_codes``-ary codes: ``rate * log2(K)``.

    Taught in notebook 04b (``04b_f0_vqvae``).

    Example
    -------
    >>> round(bitrate(), 2)          # 12.5 * log2(20)
    54.02
    """
    return float(codes_per_second * np.log2(n_codes))


def entropy_bitrate(codes, codes_per_second: float = F0_CODE_RATE) -> float:
    """Bits per second if each code cost its unigram entropy: ``rate * H(codes)`` in bits.

    Taught in notebook 04b (``04b_f0_vqvae``).

    Example
    -------
    >>> entropy_bitrate(np.array([0, 1, 0, 1]))     # 1 bit per code
    12.5
    """
    codes = np.concatenate([np.asarray(c).ravel() for c in codes]) if isinstance(codes, (list, tuple)) \
        else np.asarray(codes).ravel()
    _, counts = np.unique(codes, return_counts=True)
    p = counts / counts.sum()
    return float(codes_per_second * -np.sum(p * np.log2(p)))
