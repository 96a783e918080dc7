"""resynth_lib: the library behind "Speech Resynthesis from Scratch".

A course that rebuilds Polyak et al., "Speech Resynthesis from Discrete Disentangled
Self-Supervised Representations" (Interspeech 2021) on a laptop CPU. Each module names the
notebook that teaches it:

* :mod:`resynth_lib.audio`     -- waveforms, STFT, mel, MFCC (notebook 00)
* :mod:`resynth_lib.data`      -- the shipped four-speaker corpus and its alignments (00)
* :mod:`resynth_lib.corpora`   -- LJSpeech and VCTK loaders for real corpora (00)
* :mod:`resynth_lib.config`    -- fast vs full mode (00)
* :mod:`resynth_lib.checks`, :mod:`resynth_lib.exercises`, :mod:`resynth_lib.course`
  -- the exercise checker and the notebook build (00)
* :mod:`resynth_lib.sentences`, :mod:`resynth_lib.corpus_build` -- how the corpus is made (00)
* :mod:`resynth_lib.factors`   -- latent factors of a ratings matrix (01)
* :mod:`resynth_lib.gmm`       -- Gaussian mixtures with EM (01)
* :mod:`resynth_lib.disentangle` -- a beta-VAE on data with known factors, MIG (01)
* :mod:`resynth_lib.pitch`     -- YIN, F0 metrics, speaker normalisation (04)
* :mod:`resynth_lib.vqvae`     -- the F0 VQ-VAE (04)
* :mod:`resynth_lib.lpc_vocoder` -- hear an F0 contour with a source-filter vocoder (04)
* :mod:`resynth_lib.plots`     -- figures shared by the notebooks
* :mod:`resynth_lib.cli`       -- the ``resynth`` command
"""
__version__ = "0.1.0"

from . import exercises as _exercises  # noqa: F401  (registers the exercises)
from .checks import check
from .config import CourseConfig, set_seed


def __getattr__(name):
    # imported lazily so that `python -m resynth_lib.course` does not import the module twice
    if name == "start_notebook":
        from .course import start_notebook
        return start_notebook
    raise AttributeError(f"module 'resynth_lib' has no attribute {name!r}")


__all__ = ["check", "CourseConfig", "set_seed", "start_notebook", "__version__"]
