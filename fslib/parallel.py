"""Worker processes started with ``spawn`` (the stages that run MediaPipe: its graph threads do not survive a
fork), and the one mistake they make easy: a script that calls such a stage with ``workers > 1`` must do so
under ``if __name__ == "__main__":``, because every spawned worker re-imports the script that started it.
Without the guard each worker runs the script's top level again and dies while starting; Python reports only a
broken pool. :func:`spawn_pool` turns that into an error that says what to do.

The stages that use it: :func:`fslib.preprocess.store.preprocess` (hand crops) and
:func:`fslib.islr.extract.extract_citizen` (Holistic landmarks). Notebooks, ``python -c`` and the ``fslib``
command need nothing; the stages that fork (corpus rendering, teacher features) need no guard on Linux.
"""

from __future__ import annotations

import multiprocessing
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from pathlib import Path

GUARD_HELP = (
    'put the call under `if __name__ == "__main__":` in your script (each worker re-imports the script), '
    "or pass workers=1"
)


class WorkerStartError(RuntimeError):
    """The worker processes died while starting because the calling script has no ``__main__`` guard."""


def unguarded_script() -> str | None:
    """The path of the script running as ``__main__`` when it is a Python file without an
    ``if __name__ == "__main__"`` test; None for a guarded script, a notebook, ``python -c`` or the REPL."""
    path = getattr(sys.modules.get("__main__"), "__file__", None)
    if not path or not str(path).endswith(".py") or not Path(path).is_file():
        return None
    text = Path(path).read_text(errors="replace")
    return None if "__name__" in text else str(path)


@contextmanager
def spawn_pool(workers: int, initializer: Callable[[], None] | None = None) -> Iterator[ProcessPoolExecutor]:
    """A :class:`~concurrent.futures.ProcessPoolExecutor` of ``workers`` spawned processes. A pool broken
    because the calling script has no ``__main__`` guard raises :class:`WorkerStartError` naming the script
    and the fix; a pool broken for another reason (a worker killed, out of memory) is re-raised as it is."""
    try:
        with ProcessPoolExecutor(
            workers, mp_context=multiprocessing.get_context("spawn"), initializer=initializer
        ) as pool:
            yield pool
    except BrokenProcessPool as err:
        script = unguarded_script()
        if script is None:
            raise
        raise WorkerStartError(f"worker processes started by {script} died while starting: {GUARD_HELP}") from err
