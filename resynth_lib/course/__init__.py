"""The course machinery: building the student notebooks and checking their exercises.

Nothing here is speech processing; it is what makes the notebooks work as a course.
Taught in notebook 00 (``00_audio_and_data``, "how exercises work") and used by every notebook.

* :mod:`~resynth_lib.course.build` -- notebook start-up, and the build of ``notebooks/`` from
  ``solutions/`` (stubs, no outputs); notebook 00;
* :mod:`~resynth_lib.course.checks` -- the exercise checker: a student's function against the
  library's reference; notebook 00;
* :mod:`~resynth_lib.course.exercises` -- the exercises themselves, one module per notebook
  (``nb00`` ... ``nb07``); notebooks 00 to 07;
* ``__main__`` -- ``python -m resynth_lib.course build | check | strip``; notebook 00.
"""
