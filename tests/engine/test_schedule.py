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
