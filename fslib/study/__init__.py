"""The study runner: executes the notebooks of a profile with papermill, with a cache and a manifest."""

from .plan import PROFILES, Plan, load_plan
from .runner import StudyError, run_study

__all__ = ["PROFILES", "Plan", "load_plan", "StudyError", "run_study"]
