"""The course's exercises, one module per notebook: ``nb00`` ... ``nb07``, ``nb01b`` ... ``nb07b``, ``nb06c``
and ``nb06d``.

Each module registers its notebook's exercises (fixed inputs, the library's reference and a
hint) with :func:`resynth_lib.course.checks.register`. Nothing is imported up front: the
checker maps an exercise name to its module by the name's notebook prefix (``"04.cmnd"`` ->
:mod:`resynth_lib.course.exercises.nb04`) and imports that module the first time one of its
exercises is checked, so a notebook pays only for its own exercises.

* :mod:`~resynth_lib.course.exercises.nb00` -- notebook 00 (``00_audio_and_data``);
* :mod:`~resynth_lib.course.exercises.nb01` -- notebook 01 (``01_latent_factors_and_gmms``);
* :mod:`~resynth_lib.course.exercises.nb01b` -- notebook 01b (``01b_vae_and_infogan``);
* :mod:`~resynth_lib.course.exercises.nb02` -- notebook 02 (``02_self_supervised_pretext_tasks``);
* :mod:`~resynth_lib.course.exercises.nb02b` -- notebook 02b (``02b_self_supervised_speech``);
* :mod:`~resynth_lib.course.exercises.nb03` -- notebook 03 (``03_discrete_units_kmeans``);
* :mod:`~resynth_lib.course.exercises.nb03b` -- notebook 03b (``03b_unit_quality``);
* :mod:`~resynth_lib.course.exercises.nb04` -- notebook 04 (``04_pitch_tracking``);
* :mod:`~resynth_lib.course.exercises.nb04b` -- notebook 04b (``04b_f0_vqvae``);
* :mod:`~resynth_lib.course.exercises.nb05` -- notebook 05 (``05_speaker_identity``);
* :mod:`~resynth_lib.course.exercises.nb06` -- notebook 06 (``06_hifigan_vocoder``);
* :mod:`~resynth_lib.course.exercises.nb06b` -- notebook 06b (``06b_hifigan_training``);
* :mod:`~resynth_lib.course.exercises.nb06c` -- notebook 06c (``06c_frame_rate_decoder``);
* :mod:`~resynth_lib.course.exercises.nb06d` -- notebook 06d (``06d_harmonic_noise_and_choice``);
* :mod:`~resynth_lib.course.exercises.nb07` -- notebook 07 (``07_resynthesis_conversion_codec``);
* :mod:`~resynth_lib.course.exercises.nb07b` -- notebook 07b (``07b_judges_and_evaluation``).

How the exercises and their checks work is taught in notebook 00.

Example
-------
>>> module_for("04.cmnd")
'resynth_lib.course.exercises.nb04'
>>> module_for("06c.gl_round")
'resynth_lib.course.exercises.nb06c'
"""
from __future__ import annotations

#: notebook prefix of an exercise name -> the module that registers that notebook's exercises
NOTEBOOKS = ("00", "01", "01b", "02", "02b", "03", "03b", "04", "04b", "05", "06", "06b", "06c", "06d", "07", "07b")


def module_for(name: str) -> str:
    """The module that registers exercise ``name`` (``"NN.topic"``); ``KeyError`` if no notebook has it.

    :func:`resynth_lib.course.checks.run_check` uses it to import a notebook's exercises on
    first use (notebook 00).

    Example
    -------
    >>> module_for("00.frame_signal")
    'resynth_lib.course.exercises.nb00'
    >>> module_for("08.nothing")
    Traceback (most recent call last):
        ...
    KeyError: "exercise '08.nothing': names start with a notebook number, one of 00, 01, 01b, 02, 02b, 03, 03b, 04, 04b, 05, 06, 06b, 06c, 06d, 07, 07b"
    """
    prefix = name.split(".", 1)[0]
    if prefix not in NOTEBOOKS:
        raise KeyError(f"exercise {name!r}: names start with a notebook number, one of {', '.join(NOTEBOOKS)}")
    return f"{__name__}.nb{prefix}"
