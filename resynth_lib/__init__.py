"""resynth_lib: the library behind "Speech Resynthesis from Scratch".

A course that rebuilds Polyak et al., "Speech Resynthesis from Discrete Disentangled
Self-Supervised Representations" (Interspeech 2021) on a laptop CPU. The library is laid out
by pipeline stage; each sub-package is one room, each module names the notebook that teaches
it, and imports flow one way: a package may import those above it in this table, never those below:

==============  ==========================================================  ==========
package         what lives there                                            notebooks
==============  ==========================================================  ==========
``core``        rates, paths, config, checkpoints, the training loop,       00
                waveforms and spectra, shared figures, bit counting
``data``        the shipped corpus, how it is built, real-corpus loaders,   00, 02
                features on the 50 Hz frame grid
``concepts``    the ideas before speech: ratings factors, GMMs, a beta-VAE  01, 02
                and MIG, word2vec, rotation pretext images
``content``     self-supervised speech models, probes, k-means, units and   02b-03b
                their metrics
``pitch``       YIN, F0 metrics, speaker normalisation, the F0 VQ-VAE       04
                (codebook / model / training), an LPC vocoder to listen
``speaker``     d-vectors (GE2E), verification, the speaker classifier      05
``decoder``     the codes, HiFi-GAN, the frame-rate acoustic model,         06-06d
                Griffin-Lim, the harmonic-plus-noise stage
``pipeline``    the codec: audio -> codes.json -> audio                     07
``evaluation``  the judges (phone recogniser, speaker judge) and the        06b-07b
                paper's tables
``course``      notebook build, the exercise checker, one exercise module   all
                per notebook
``cli``         the ``resynth`` command: one dispatch table                 all
==============  ==========================================================  ==========

Notebook 00 (``00_audio_and_data``) shows this map; each later notebook opens the rooms it
teaches. Importing :mod:`resynth_lib` loads nothing else: the names below are imported on first use,
so ``resynth --help`` and ``resynth course build`` never pay for torch.

Example
-------
>>> import resynth_lib, sys
>>> resynth_lib.__version__
'0.1.0'
>>> callable(resynth_lib.check)      # the exercise checker, loaded now
True
"""
__version__ = "0.1.0"

#: public name -> the module that defines it (imported on first use)
_LAZY = {
    "check": "resynth_lib.course.checks",
    "start_notebook": "resynth_lib.course.build",
    "CourseConfig": "resynth_lib.core.config",
    "set_seed": "resynth_lib.core.config",
}


def __getattr__(name):
    if name in _LAZY:
        import importlib
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'resynth_lib' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + list(_LAZY))


__all__ = ["check", "CourseConfig", "set_seed", "start_notebook", "__version__"]
