"""The wall-time projection: list scheduling of measured tasks on more workers."""

from reportgen.engine.schedule import project, projections


def test_one_worker_adds_everything_up():
    assert project({"a": 3, "b": 2, "c": 1}, {}, 1).wall_seconds == 6


def test_many_workers_are_bounded_by_the_longest_chain():
    durations = {"fit": 10, "other": 4, "derive": 1}
    depends = {"derive": ("fit",)}
    result = project(durations, depends, 8)
    assert result.wall_seconds == 11 and result.bounding_task == "derive"


def test_longest_first_on_two_workers():
    # longest first: 5 on one worker, then 3 and 2 on the other -> 5
    assert project({"a": 5, "b": 3, "c": 2}, {}, 2).wall_seconds == 5


def test_projection_never_grows_with_more_workers():
    durations = {f"t{i}": float(i % 7 + 1) for i in range(30)}
    walls = [p.wall_seconds for p in projections(durations, {})]
    assert walls == sorted(walls, reverse=True)


def test_the_critical_path_is_the_longest_chain():
    from reportgen.engine.schedule import critical_path

    durations = {"scaled": 10, "errors": 1, "svc": 8, "forest": 3}
    assert critical_path(durations, {"errors": ("scaled",)}) == ["scaled", "errors"]


def test_a_task_others_wait_for_starts_before_a_longer_lone_task():
    """Priority is the longest chain of work ahead: the fold (2) that a long fit (10) waits
    for goes before a lone task of 5."""
    from reportgen.engine.schedule import next_task, priorities

    durations = {"fold": 2, "fit": 10, "lone": 5}
    depends = {"fit": ("fold",)}
    assert next_task(["fold", "lone"], priorities(durations, depends)) == "fold"
    assert project(durations, depends, 2).wall_seconds == 12


def test_idle_time_is_what_the_workers_did_not_use():
    result = project({"a": 5, "b": 3}, {}, 2)
    assert result.idle_seconds == 2 * 5 - 8


def test_folds_of_one_experiment_spread_over_workers():
    durations = {"cv.fold0": 4, "cv.fold1": 4, "cv.fold2": 4, "cv": 0.1}
    depends = {"cv": ("cv.fold0", "cv.fold1", "cv.fold2")}
    assert project(durations, depends, 1).wall_seconds == 12.1
    assert project(durations, depends, 3).wall_seconds == 4.1
    assert project(durations, depends, 3).bounding_task == "cv"
