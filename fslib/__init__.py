"""fslib: the library behind the fingerspelling-distillation and isolated-sign study.

One module or subpackage per pipeline stage (corpus, preprocess, teachers, models, train, evaluate, ...);
the notebooks in ``notebooks/`` call these and define nothing themselves.
"""

__version__ = "0.1.0"
