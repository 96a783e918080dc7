"""Arithmetic coding: turning probabilities into real bits on disk.

An entropy estimate says an ideal coder would spend ``-log2 p(s)`` bits on symbol ``s``.
An arithmetic coder comes within a few bits *per file* of that: it keeps an interval
``[low, high]`` of 32-bit integers, narrows it to the part that belongs to each symbol (a
share proportional to ``p(s)``), and writes out the leading bits as soon as ``low`` and
``high`` agree on them. When the interval straddles the midpoint but has shrunk to the middle
half, neither bit is known yet; the coder remembers a *pending* bit and widens the interval
(the classic fix of Witten, Neal and Cleary, 1987). Probabilities are integer frequency
tables (:class:`FrequencyTable`), so encoder and decoder compute exactly the same intervals.

Taught in notebook 07 (``07_resynthesis_conversion_codec``), "real bits"; the codes file of
``resynth encode -o codes.rsc`` is written with it (:mod:`resynth_lib.pipeline.codes_file`).

Example
-------
>>> table = FrequencyTable([6, 1, 1])                 # symbol 0 is six times as likely as 1 or 2
>>> encoder = ArithmeticEncoder()
>>> for s in [0, 0, 0, 0, 0, 0, 1, 2]:
...     encoder.encode(s, table)
>>> data = encoder.finish()
>>> len(data)                                          # 8 symbols, about 9.7 bits of information
2
>>> decoder = ArithmeticDecoder(data)
>>> [decoder.decode(table) for _ in range(8)]
[0, 0, 0, 0, 0, 0, 1, 2]
"""
from __future__ import annotations

import bisect

import numpy as np

BITS = 32
FULL = (1 << BITS) - 1
HALF = 1 << (BITS - 1)
QUARTER = 1 << (BITS - 2)
#: Frequency totals stay below this, so every symbol keeps a non-empty share of the interval.
MAX_TOTAL = 1 << 16


class FrequencyTable:
    """Integer frequencies of ``k`` symbols (each at least 1), scaled to a total of at most 2**16.

    ``cumulative[s]`` is the sum of the frequencies of the symbols before ``s``. Built from any
    non-negative counts or probabilities; :meth:`bits` is what coding a symbol costs.
    Taught in notebook 07 (``07_resynthesis_conversion_codec``).

    Example
    -------
    >>> t = FrequencyTable([3, 1])
    >>> t.cumulative, round(t.bits(0), 3), round(t.bits(1), 3)
    ([0, 3, 4], 0.415, 2.0)
    """

    def __init__(self, counts):
        counts = np.asarray(counts, dtype=np.float64)
        if counts.ndim != 1 or len(counts) < 1 or not np.all(np.isfinite(counts)) or np.any(counts < 0):
            raise ValueError("counts must be a non-empty 1-D array of finite non-negative numbers")
        if counts.sum() + len(counts) > MAX_TOTAL:
            counts = counts * (MAX_TOTAL - len(counts)) / counts.sum()
        freqs = np.maximum(1, np.round(counts)).astype(np.int64)
        self.cumulative = [0, *np.cumsum(freqs).tolist()]
        self.total = self.cumulative[-1]

    def __len__(self) -> int:
        return len(self.cumulative) - 1

    def bits(self, symbol: int) -> float:
        """``-log2`` of the symbol's probability under this table."""
        return float(np.log2(self.total / (self.cumulative[symbol + 1] - self.cumulative[symbol])))

    @classmethod
    def uniform(cls, k: int) -> "FrequencyTable":
        """``k`` equally likely symbols (``log2 k`` bits each).

        Example
        -------
        >>> FrequencyTable.uniform(4).bits(3)
        2.0
        """
        return cls(np.ones(k))


class ArithmeticEncoder:
    """Symbols and their frequency tables in, bytes out (:meth:`finish`).

    Taught in notebook 07 (``07_resynthesis_conversion_codec``).

    Example
    -------
    >>> e = ArithmeticEncoder(); e.encode(1, FrequencyTable.uniform(2)); len(e.finish())
    1
    """

    def __init__(self):
        self.low, self.high, self.pending = 0, FULL, 0
        self.bits: list[int] = []

    def _emit(self, bit: int) -> None:
        self.bits.append(bit)
        self.bits.extend([1 - bit] * self.pending)
        self.pending = 0

    def encode(self, symbol: int, table: FrequencyTable) -> None:
        """Narrow the interval to ``symbol``'s share under ``table`` and write the bits that became certain."""
        if not 0 <= symbol < len(table):
            raise ValueError(f"symbol {symbol} outside the table's {len(table)} symbols")
        span = self.high - self.low + 1
        self.high = self.low + span * table.cumulative[symbol + 1] // table.total - 1
        self.low = self.low + span * table.cumulative[symbol] // table.total
        while True:
            if self.high < HALF:
                self._emit(0)
            elif self.low >= HALF:
                self._emit(1)
                self.low, self.high = self.low - HALF, self.high - HALF
            elif self.low >= QUARTER and self.high < HALF + QUARTER:
                self.pending += 1
                self.low, self.high = self.low - QUARTER, self.high - QUARTER
            else:
                break
            self.low, self.high = 2 * self.low, 2 * self.high + 1

    def finish(self) -> bytes:
        """Write the bits that pick a number inside the final interval; pad with zeros to whole bytes."""
        self.pending += 1
        self._emit(0 if self.low < QUARTER else 1)
        bits = self.bits + [0] * (-len(self.bits) % 8)
        return bytes(int("".join(map(str, bits[i:i + 8])), 2) for i in range(0, len(bits), 8))


class ArithmeticDecoder:
    """Bytes in; each :meth:`decode` call, given the table the encoder used, returns the next symbol.

    Taught in notebook 07 (``07_resynthesis_conversion_codec``).

    Example
    -------
    >>> e = ArithmeticEncoder(); e.encode(2, FrequencyTable.uniform(3)); data = e.finish()
    >>> ArithmeticDecoder(data).decode(FrequencyTable.uniform(3))
    2
    """

    def __init__(self, data: bytes):
        self._bits = [int(b) for byte in data for b in format(byte, "08b")]
        self._next = 0
        self.low, self.high = 0, FULL
        self.value = 0
        for _ in range(BITS):
            self.value = 2 * self.value + self._bit()

    def _bit(self) -> int:
        bit = self._bits[self._next] if self._next < len(self._bits) else 0      # past the end: zeros
        self._next += 1
        return bit

    def decode(self, table: FrequencyTable) -> int:
        """The next symbol, coded with ``table``."""
        span = self.high - self.low + 1
        target = ((self.value - self.low + 1) * table.total - 1) // span
        symbol = bisect.bisect_right(table.cumulative, target) - 1
        self.high = self.low + span * table.cumulative[symbol + 1] // table.total - 1
        self.low = self.low + span * table.cumulative[symbol] // table.total
        while True:
            if self.high < HALF:
                pass
            elif self.low >= HALF:
                self.low, self.high, self.value = self.low - HALF, self.high - HALF, self.value - HALF
            elif self.low >= QUARTER and self.high < HALF + QUARTER:
                self.low, self.high, self.value = self.low - QUARTER, self.high - QUARTER, self.value - QUARTER
            else:
                break
            self.low, self.high = 2 * self.low, 2 * self.high + 1
            self.value = 2 * self.value + self._bit()
        return symbol
