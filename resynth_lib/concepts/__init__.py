"""The ideas before speech: latent factors, mixtures, disentanglement and pretext tasks.

* :mod:`resynth_lib.concepts.factors` -- latent factors of a ratings matrix by alternating
  least squares (notebook 01, ``01_latent_factors_and_gmms``).
* :mod:`resynth_lib.concepts.gmm_em` -- the pieces of EM for Gaussian mixtures: densities,
  E-step, M-step, starting points (notebook 01, ``01_latent_factors_and_gmms``).
* :mod:`resynth_lib.concepts.gmm` -- the :class:`~resynth_lib.concepts.gmm.GaussianMixture` model built from them
  (notebook 01, ``01_latent_factors_and_gmms``).
* :mod:`resynth_lib.concepts.vowels` -- synthetic vowel frames with known F0, vowel and
  loudness (notebook 01b, ``01b_vae_and_infogan``).
* :mod:`resynth_lib.concepts.beta_vae` -- a beta-VAE trained on those vowels, and its
  shipped checkpoints (notebook 01b, ``01b_vae_and_infogan``).
* :mod:`resynth_lib.concepts.info_gan` -- InfoGAN on the same vowels, scored with the same MIG
  (notebook 01b, ``01b_vae_and_infogan``).
* :mod:`resynth_lib.concepts.disentanglement_metrics` -- mutual information and the MIG
  score (notebook 01b, ``01b_vae_and_infogan``).
* :mod:`resynth_lib.concepts.word2vec` -- skip-gram and CBOW with negative sampling on text
  with known factors (notebook 02, ``02_self_supervised_pretext_tasks``).
* :mod:`resynth_lib.concepts.embedding_analysis` -- neighbours, analogies and directions in
  the learnt vectors (notebook 02, ``02_self_supervised_pretext_tasks``).
* :mod:`resynth_lib.concepts.pretext_images` -- rotation prediction on digits, then few-label
  probes (notebook 02, ``02_self_supervised_pretext_tasks``).
* :mod:`resynth_lib.concepts.pretext_jigsaw_inpainting` -- jigsaw and inpainting pretext tasks on
  the same digits and the same few-label curve (notebook 02, ``02_self_supervised_pretext_tasks``).
"""
