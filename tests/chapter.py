"""The built-in chapter as the tests use it: composed once, as the command composes it."""

from pathlib import Path

from reportgen.chapter import built_in
from reportgen.engine.runner import RunResult, run_experiments

CHAPTER = built_in()


def run_builtin(dataset, profile, **options) -> RunResult:
    """The engine on the built-in chapter's sections (all, unless `sections=`)."""
    sections = options.pop("sections", None) or CHAPTER.sections
    experiments = {**CHAPTER.experiments(),
                   **{name: task for section in sections for name, task in section.tasks.items()}}
    return run_experiments(dataset, profile, sections, experiments, **options)


def builtin_spec(path):
    """A thresholds spec checked against the built-in chapter's metric names."""
    from reportgen.thresholds import load_spec

    return load_spec(path, CHAPTER.metrics())


# The claims the tests' builds of the bundled digits pass (`--thresholds`): the built-in spec
# has none about digits, and a build that checks nothing fails its gate.
DIGITS_SPEC = str(Path(__file__).with_name("digits_thresholds.toml"))
