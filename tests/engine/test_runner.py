"""The runner: nothing changed fits nothing; one change reruns it and its dependents only."""

import dataclasses
import os

import numpy as np
import pytest

from reportgen.engine.cache import ResultCache
from reportgen.engine.profiles import resolve_profile
from reportgen.engine.registry import Experiment
from reportgen.engine.schedule import next_task, priorities
from reportgen.metrics import metric_values
from tests.chapter import CHAPTER, run_builtin


@pytest.fixture
def profile(digits):
    return resolve_profile("quick", digits)


def test_first_run_computes_every_experiment(digits, profile, tmp_path):
    run = run_builtin(digits, profile, jobs=1, cache=ResultCache(tmp_path))
    assert set(run.computed) == {e for s in CHAPTER.sections for e in s.experiments}


def test_second_run_takes_everything_from_the_cache_with_equal_numbers(digits, profile, tmp_path):
    cache = ResultCache(tmp_path)
    first = run_builtin(digits, profile, jobs=1, cache=cache)
    second = run_builtin(digits, profile, jobs=1, cache=cache)
    assert second.computed == []
    assert metric_values(second) == metric_values(first)
    assert [r.peak_rss for r in second.runs.values()] == [r.peak_rss for r in first.runs.values()]
    assert np.array_equal(second["binary.sgd"].roc_tpr, first["binary.sgd"].roc_tpr)


def test_changing_one_experiment_reruns_it_and_its_dependents(digits, profile, tmp_path,
                                                              monkeypatch):
    cache = ResultCache(tmp_path)
    run_builtin(digits, profile, jobs=1, cache=cache)
    original = Experiment.code_digest

    def touched(self, state=None):
        return original(self, state) + ("edited" if self.name == "multiclass.sgd_scaled"
                                        else "")

    monkeypatch.setattr(Experiment, "code_digest", touched)
    rerun = run_builtin(digits, profile, jobs=1, cache=cache)
    assert set(rerun.computed) == {"multiclass.sgd_scaled", "errors.analysis", "test.scores"}


def test_force_recomputes_everything(digits, profile, tmp_path):
    cache = ResultCache(tmp_path)
    run_builtin(digits, profile, jobs=1, cache=cache)
    assert len(run_builtin(digits, profile, jobs=1, cache=cache, force=True).computed) == len(
        CHAPTER.experiments()
    )


def test_another_profile_is_another_cache_entry(digits, tmp_path):
    cache = ResultCache(tmp_path)
    run_builtin(digits, resolve_profile("quick", digits), jobs=1, cache=cache)
    smaller = run_builtin(digits, resolve_profile("quick", digits, train_size=600), jobs=1,
                              cache=cache)
    assert len(smaller.computed) == len(CHAPTER.experiments())


def test_corrupt_cache_entry_is_reported_and_recomputed(digits, profile, tmp_path):
    cache = ResultCache(tmp_path)
    first = run_builtin(digits, profile, jobs=1, cache=cache)
    experiment = CHAPTER.experiments()["binary.forest"]
    path = cache.path(experiment, first.runs["binary.forest"].key)
    path.write_bytes(path.read_bytes()[:200])
    lines = []
    again = run_builtin(digits, profile, jobs=1, cache=cache, log=lines.append)
    assert again.computed == ["binary.forest"]
    assert any("binary.forest" in line and "corrupt" in line for line in lines)
    assert again["binary.forest"].roc_auc == first["binary.forest"].roc_auc


def test_a_cache_entry_rewritten_with_other_numbers_is_recomputed(digits, profile, tmp_path):
    """A valid zip, CRCs and all, holding a forged ROC AUC: its content digest tells."""
    from tests.engine.test_results_io import rewritten

    cache = ResultCache(tmp_path)
    first = run_builtin(digits, profile, jobs=1, cache=cache)
    path = cache.path(CHAPTER.experiments()["binary.forest"], first.runs["binary.forest"].key)
    path.write_bytes(rewritten(path.read_bytes(),
                               lambda meta, arrays: meta["fields"].update(roc_auc=0.5004)))
    lines = []
    again = run_builtin(digits, profile, jobs=1, cache=cache, log=lines.append)
    assert again.computed == ["binary.forest"]
    assert again["binary.forest"].roc_auc == first["binary.forest"].roc_auc != 0.5004
    assert [line for line in lines if "binary.forest" in line and "does not match" in line]


@pytest.mark.parametrize("replace_with", ["device", "fifo", "folder"])
def test_a_cache_entry_that_is_no_regular_file_is_never_read_and_recomputed(
        digits, profile, tmp_path, replace_with):
    """A link to /dev/zero would be read until memory runs out; a FIFO would block for ever."""
    cache = ResultCache(tmp_path)
    first = run_builtin(digits, profile, jobs=1, cache=cache)
    path = cache.path(CHAPTER.experiments()["binary.forest"], first.runs["binary.forest"].key)
    path.unlink()
    {"device": lambda: path.symlink_to("/dev/zero"), "fifo": lambda: os.mkfifo(path),
     "folder": path.mkdir}[replace_with]()
    lines = []
    again = run_builtin(digits, profile, jobs=1, cache=cache, log=lines.append)
    assert again.computed == ["binary.forest"]
    assert any("not a regular file" in line for line in lines)
    assert path.is_file() and not path.is_symlink()  # stored again, as a plain file


def test_parallel_run_gives_the_same_numbers(digits, profile, tmp_path):
    serial = run_builtin(digits, profile, jobs=1, cache=ResultCache(tmp_path / "a"))
    parallel = run_builtin(digits, profile, jobs=2, cache=ResultCache(tmp_path / "b"))
    assert metric_values(parallel) == metric_values(serial)


def test_tasks_start_after_what_they_need_longest_chain_first(digits, profile, tmp_path):
    run = run_builtin(digits, profile, jobs=1, cache=ResultCache(tmp_path))
    for name, task in run.runs.items():
        for dependency in task.depends_on:
            before = run.runs[dependency]
            assert before.started + before.seconds <= task.started + 1e-3, (dependency, name)
    experiments = CHAPTER.experiments()
    estimates = {name: experiments[name].cost * 10 for name in run.runs}  # nothing measured yet
    priority = priorities(estimates, {name: t.depends_on for name, t in run.runs.items()})
    roots = [name for name, task in run.runs.items() if not task.depends_on]
    first = min(run.runs, key=lambda name: run.runs[name].started)
    assert first == next_task(roots, priority)


def test_measured_durations_are_kept_beside_the_cache_and_order_the_next_run(
        digits, profile, tmp_path):
    cache = ResultCache(tmp_path)
    first = run_builtin(digits, profile, jobs=1, cache=cache)
    scope = f"{digits.name}-{digits.checksum[:12]}/{profile.name}"
    assert cache.durations(scope) == {name: {t.threads: t.seconds}
                                      for name, t in first.runs.items()}
    again = run_builtin(digits, profile, jobs=1, cache=cache, force=True)
    measured = priorities({n: t.seconds for n, t in first.runs.items()},
                          {n: t.depends_on for n, t in first.runs.items()})
    roots = [name for name, task in again.runs.items() if not task.depends_on]
    assert min(again.runs, key=lambda n: again.runs[n].started) == next_task(roots, measured)


def test_results_are_plain_dataclasses(digits_run):
    for name, run in digits_run.runs.items():
        assert dataclasses.is_dataclass(run.result), name


def test_a_new_cost_hint_keeps_the_cache(digits, profile, tmp_path, monkeypatch):
    cache = ResultCache(tmp_path)
    run_builtin(digits, profile, jobs=1, cache=cache)
    experiments = CHAPTER.experiments()
    monkeypatch.setitem(experiments, "binary.forest",
                        dataclasses.replace(experiments["binary.forest"], cost=99.0))
    assert run_builtin(digits, profile, jobs=1, cache=cache).computed == []


def test_an_unreadable_durations_file_only_loses_the_order(digits, profile, tmp_path):
    cache = ResultCache(tmp_path)
    (tmp_path / "durations.json").write_text("{not json")
    run = run_builtin(digits, profile, jobs=1, cache=cache)
    assert run.computed
    scope = f"{digits.name}-{digits.checksum[:12]}/{profile.name}"
    assert set(cache.durations(scope)) == set(run.runs)


def test_a_result_from_another_environment_is_refused_and_never_cached(digits, profile,
                                                                       tmp_path):
    """Whatever the scheduler: here one that says binary.forest ran under another
    scikit-learn. What was computed before it stays cached; it is computed again later."""
    import sklearn

    from reportgen.engine.runner import NoProgress
    from reportgen.engine.schedulers import InProcess
    from reportgen.errors import ReportgenError

    class OneElsewhere(InProcess):
        def outcome(self, future):
            outcome = super().outcome(future)
            if outcome.name != "binary.forest":
                return outcome
            libraries = {**outcome.fingerprint["libraries"], "scikit-learn": "1.6.1"}
            return dataclasses.replace(outcome, where="pid 99999", fingerprint={
                **outcome.fingerprint, "libraries": libraries})

    class Finished(NoProgress):
        def __init__(self) -> None:
            self.names: list[str] = []

        def finished(self, name: str, seconds: float) -> None:
            self.names.append(name)

    cache, progress = ResultCache(tmp_path), Finished()
    with pytest.raises(ReportgenError) as error:
        run_builtin(digits, profile, cache=cache, scheduler=OneElsewhere(), progress=progress)
    assert str(error.value).startswith(
        "worker pid 99999 computed binary.forest with other code than this machine"
        f" (scikit-learn 1.6.1 there, {sklearn.__version__} here), so its result was not kept;"
        f" {len(progress.names)} of ")
    later = run_builtin(digits, profile, jobs=1, cache=cache)
    assert "binary.forest" in later.computed
    assert set(later.computed) == set(later.runs) - set(progress.names)


def _chapter_sections():
    return [section for section in CHAPTER.sections if section.from_chapter]


def test_the_chapters_own_sections_never_predict_the_test_set(digits, profile, tmp_path):
    """What only the test section asks of a fit (its test-set outputs) is not computed when
    the test section does not run."""
    run = run_builtin(digits, profile, jobs=1, cache=ResultCache(tmp_path),
                      sections=_chapter_sections())
    assert not [name for name in run.runs if name.startswith("test.")]
    assert "multiclass.svc" in run.computed


def test_outputs_on_a_model_come_from_the_fit_itself_in_its_task(digits, profile, tmp_path):
    """The test section's SVC predictions are made by the chapter's own SVC, in its task (the
    same worker), after it; a plain refit and predict gives the same labels."""
    from sklearn.svm import SVC

    from reportgen.engine.profiles import make_inputs

    run = run_builtin(digits, profile, jobs=2, cache=ResultCache(tmp_path))
    fit, predictions = run.runs["multiclass.svc"], run.runs["test.svc.predictions"]
    assert predictions.where == fit.where and predictions.started >= fit.started
    data = make_inputs(digits, profile)
    expected = SVC().fit(data.X_train, data.y_train).predict(data.X_test)
    assert np.array_equal(predictions.result.values, expected)


def test_a_cached_fit_runs_again_when_a_new_section_needs_its_model(digits, profile, tmp_path):
    """Only results are cached, never models: the chapter's run first, then the test section
    needs the SVC's model, so the SVC is fitted again, to the same result."""
    cache = ResultCache(tmp_path)
    chapter = run_builtin(digits, profile, jobs=1, cache=cache, sections=_chapter_sections())
    everything = run_builtin(digits, profile, jobs=1, cache=cache)
    assert {"multiclass.svc", "test.svc.predictions"} <= set(everything.computed)
    assert "multiclass.ovr" not in everything.computed  # needed by no model
    assert everything["multiclass.svc"] == chapter["multiclass.svc"]
    again = run_builtin(digits, profile, jobs=1, cache=cache)
    assert again.computed == []


def test_a_worker_whose_section_code_differs_is_refused():
    """A worker that imported another copy of a section's module (the user's, outside the
    package) computes under another code digest: its result is not kept."""
    from reportgen.engine.cache import code_fingerprint
    from reportgen.engine.runner import _same_environment
    from reportgen.engine.schedulers import RunFault, TaskOutcome

    here = code_fingerprint()
    outcome = TaskOutcome("ext.count", None, 0.1, [], None, "pid 1", 0.0, here, "b" * 64)
    with pytest.raises(RunFault, match="the code of ext.count .* has digest bbbbbbbbbbbb"
                                       " there, aaaaaaaaaaaa here"):
        _same_environment(outcome, here, "a" * 64)
    _same_environment(outcome, here, "b" * 64)  # the same code: kept
    _same_environment(dataclasses.replace(outcome, code_digest=None), here, "a" * 64)
