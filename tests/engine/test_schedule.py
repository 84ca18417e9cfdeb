"""The wall-time projection: list scheduling of measured tasks on more workers."""

import pytest

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


# -- threads --------------------------------------------------------------------------------
def test_a_speedup_goes_by_rounds_of_pieces_and_its_serial_part():
    from reportgen.engine.schedule import Speedup

    sgd = Speedup(pieces=10, serial=0.1)
    assert sgd.factor(1) == 1
    assert sgd.factor(2) == pytest.approx(0.1 + 0.9 * 0.5)
    assert sgd.factor(4) == pytest.approx(0.1 + 0.9 * 0.3)  # 3 rounds of 4 threads
    assert sgd.factor(10) == sgd.factor(64) == pytest.approx(0.1 + 0.9 * 0.1)
    assert sgd.most_useful(4) == 4 and sgd.most_useful(6) == 5 and sgd.most_useful(64) == 10
    assert Speedup().factor(8) == 1


def test_the_serial_fraction_is_solved_from_two_measured_thread_counts():
    from reportgen.engine.schedule import Speedup

    measured = Speedup.solved(10, {1: 100.0, 2: 55.0})  # 55 = 100 (s + (1 - s) / 2)
    assert measured.serial == pytest.approx(0.1) and measured.measured == (1, 2)
    assert Speedup.solved(10, {1: 100.0}) == Speedup(10)  # one count: not measured, s = 0
    assert Speedup.solved(10, {2: 50.0}).measured == ()
    assert Speedup.solved(1, {1: 5.0, 2: 5.0}) == Speedup()
    assert Speedup.solved(10, {1: 100.0, 2: 120.0}).serial == 1  # slower: no gain, clipped


def test_on_one_core_nothing_splits():
    from reportgen.engine.schedule import Speedup, allot

    speedups = {"sgd": Speedup(10)}
    assert allot({"sgd": 100, "svc": 50}, {}, speedups, cores=1, most_threads=1) == \
        {"sgd": 1, "svc": 1}


def test_a_long_task_that_bounds_the_run_gets_threads_until_another_bounds_it():
    from reportgen.engine.schedule import Speedup, allot

    one_thread = {"sgd": 500.0, "svc": 300.0, **{f"fold{i}": 50.0 for i in range(8)}}
    threads = allot(one_thread, {}, {"sgd": Speedup(10)}, cores=16, most_threads=16)
    assert threads["svc"] == 1 and threads["sgd"] == 2  # 250 s: now the SVC bounds the run
    assert project(one_thread, {}, 16, {"sgd": Speedup(10)}).wall_seconds == 300


def test_many_tasks_on_few_cores_keep_one_thread_each():
    from reportgen.engine.schedule import Speedup, allot

    one_thread = {f"t{i}": 100.0 for i in range(10)}
    speedups = {name: Speedup(10) for name in one_thread}
    assert set(allot(one_thread, {}, speedups, cores=2, most_threads=2).values()) == {1}


def test_spare_cores_go_to_a_task_that_can_split_when_fewer_tasks_are_ready():
    from reportgen.engine.schedule import Plan, Speedup

    plan = Plan({"sgd": 30.0, "knn": 30.0}, {}, {"sgd": Speedup(10)}, cores=4,
                most_threads=4)
    assert plan.threads == {"sgd": 1, "knn": 1}  # rule 1: the KNN bounds the run anyway
    assert dict(plan.starts(["sgd", "knn"], free=4)) == {"sgd": 3, "knn": 1}  # rule 3
    assert plan.starts(["knn"], free=4) == [("knn", 1)]  # it cannot split
    assert plan.starts(["sgd"], free=2) == [("sgd", 2)]


def test_fixed_threads_are_given_to_every_task_that_can_split():
    from reportgen.engine.schedule import Plan, Speedup

    plan = Plan({"sgd": 100.0, "knn": 10.0}, {}, {"sgd": Speedup(10)}, cores=4,
                most_threads=4, fixed_threads=1)
    assert dict(plan.starts(["sgd", "knn"], free=4)) == {"sgd": 1, "knn": 1}
    two = Plan({"sgd": 100.0, "knn": 10.0}, {}, {"sgd": Speedup(10)}, cores=4,
               most_threads=4, fixed_threads=2)
    assert two.starts(["sgd", "knn"], free=1) == []  # the SGD waits for its two threads
    assert two.starts(["sgd", "knn"], free=3) == [("sgd", 2), ("knn", 1)]


def test_threads_shorten_the_projection_and_never_lengthen_it():
    from reportgen.engine.schedule import Speedup

    durations = {"sgd": 400.0, **{f"t{i}": float(10 + i) for i in range(12)}}
    speedups = {"sgd": Speedup(10, serial=0.05)}
    for cores in (1, 2, 4, 8, 16, 64):
        plain = project(durations, {}, cores).wall_seconds
        split = project(durations, {}, cores, speedups).wall_seconds
        assert split <= plain + 1e-9
    assert project(durations, {}, 64, speedups).wall_seconds == pytest.approx(400 * 0.145)


def test_a_ride_joins_its_lead_s_task_and_its_serial_part():
    from reportgen.engine.schedule import Speedup, riding_along

    durations, depends, speeds = riding_along(
        {"fit": 90.0, "predict": 10.0, "score": 1.0},
        {"predict": ("fit",), "score": ("predict",)},
        {"fit": Speedup(10)}, {"predict": "fit", "score": None, "fit": None})
    assert durations == {"fit": 100.0, "score": 1.0}
    assert depends == {"fit": (), "score": ("fit",)}
    assert speeds["fit"].serial == pytest.approx(0.1)  # the prediction does not split


def test_the_longest_unsplittable_task_is_the_floor_of_every_projection():
    from reportgen.engine.schedule import Speedup, longest_unsplittable

    one_thread = {"sgd": 500.0, "svc": 300.0}
    speedups = {"sgd": Speedup(10, serial=0.1)}
    assert longest_unsplittable(one_thread, speedups, 1) == ("sgd", 500.0)
    assert longest_unsplittable(one_thread, speedups, 2) == ("svc", 300.0)  # the SGD: 275 s
    assert longest_unsplittable(one_thread, speedups, 16) == ("svc", 300.0)
    assert project(one_thread, {}, 16, speedups).wall_seconds >= 300.0


def test_repeats_copy_the_varying_tasks_onto_their_own_repeat():
    from reportgen.engine.repeats import repeated_tasks

    durations, depends = repeated_tasks({"fold": 5.0, "join": 1.0, "svc": 9.0},
                                        {"fold": (), "join": ("fold", "svc"), "svc": ()},
                                        {"fold", "join"}, 3)
    assert set(durations) == {"fold", "join", "svc", "fold@r1", "join@r1", "fold@r2",
                              "join@r2"}
    assert depends["join@r2"] == ("fold@r2", "svc")  # the deterministic SVC runs once
