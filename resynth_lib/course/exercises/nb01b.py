"""Exercises of notebook 01b (``01b_vae_and_infogan``): fixed inputs, reference, hint.

Importing this module registers ``01b.vae_loss`` (the beta-VAE's three loss terms,
reference :func:`resynth_lib.concepts.beta_vae.vae_loss_terms`) and ``01b.mig_gaps`` (the
last step of the mutual information gap, reference
:func:`resynth_lib.concepts.disentanglement_metrics.gaps_from_mi`) with
:mod:`resynth_lib.course.checks`.

Example
-------
>>> from resynth_lib.course.checks import run_check
>>> from resynth_lib.concepts.disentanglement_metrics import gaps_from_mi
>>> run_check("01b.mig_gaps", gaps_from_mi).status
'pass'
>>> run_check("01b.mig_gaps", lambda mi: np.max(mi, axis=0)).status     # forgot the runner-up
'fail'
"""
from __future__ import annotations

import numpy as np

from resynth_lib.concepts.beta_vae import vae_loss_terms
from resynth_lib.concepts.disentanglement_metrics import gaps_from_mi
from resynth_lib.course.checks import Exercise, register


def _vae_cases():
    rng = np.random.default_rng(11)
    cases = [((np.zeros((2, 3)), np.ones((2, 3)), np.zeros((2, 2)), np.zeros((2, 2))), {"beta": 1.0})]
    for n, d, m, beta in [(8, 16, 4, 1.0), (32, 64, 6, 4.0), (5, 10, 3, 0.5)]:
        x = rng.normal(size=(n, d))
        cases.append(((x, x + 0.3 * rng.normal(size=(n, d)), rng.normal(size=(n, m)), rng.normal(0, 0.5, (n, m))),
                      {"beta": beta}))
    return cases


register(Exercise(
    "01b.vae_loss",
    reference=vae_loss_terms,
    cases=_vae_cases,
    hint="Steps: the reconstruction term sums the squared differences over the features (axis 1), then averages over "
         "the batch; the KL term of a diagonal Gaussian against N(0, I) is one half of (mean squared + variance - log "
         "variance - 1), summed over the latent dimensions, then averaged over the batch (the variance is "
         "np.exp(logvar)); the total adds beta times the KL. Return three floats in the order (total, reconstruction, "
         "kl). The first case has mu = 0 and logvar = 0: its KL must be exactly 0.",
))


def _mi_cases():
    rng = np.random.default_rng(12)
    return [((np.array([[0.9, 0.2], [0.1, 0.3], [0.0, 0.25]]),), {}),
            ((rng.uniform(0, 1, (6, 3)),), {}),
            ((np.array([[0.5, 0.0], [0.5, 0.0]]),), {}),                      # a tie: the gap is 0
            ((rng.uniform(0, 1, (10, 1)),), {})]


register(Exercise(
    "01b.mig_gaps",
    reference=gaps_from_mi,
    cases=_mi_cases,
    hint="Steps: work column by column (one factor each): find the largest and the second-largest entry over the "
         "latents (axis 0) -- np.sort along axis 0 puts them in the last two rows -- and subtract. Return one gap per "
         "factor, an array of length n_factors. The checker includes a tie (two latents equally informed: gap 0).",
))

__all__: list[str] = []
