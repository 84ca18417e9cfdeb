"""The analysis engine: every experiment of the chapter as a named unit returning plain results."""

from reportgen.engine.profiles import PROFILES, Inputs, Profile, make_inputs, resolve_profile
from reportgen.engine.registry import all_experiments
from reportgen.engine.runner import RunResult, run_experiments

__all__ = [
    "PROFILES", "Inputs", "Profile", "RunResult", "all_experiments", "make_inputs",
    "resolve_profile", "run_experiments",
]
