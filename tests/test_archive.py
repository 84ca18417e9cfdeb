"""The archive only grows: numbered versions, published whole or not at all, never overwritten."""

import errno
import json
import multiprocessing
import os
import re
import time
from datetime import UTC, datetime

import pytest

from reportgen.archive import Archive, refuse_inside_archive
from reportgen.errors import ReportgenError


def publish(archive, slug="mnist-quick-abc1234", dataset="mnist", profile="quick", fill=None,
            **manifest):
    with archive.new_version(slug) as staging:
        document = {"metrics": {}, "dataset": {"name": dataset}, "profile": {"name": profile}}
        (staging.path / "metrics.json").write_text(json.dumps(document))
        if fill:
            fill(staging)
        staging.describe(dataset=dataset, profile=profile, commit="abc1234", headlines={},
                         **manifest)
    return staging.id


def test_versions_are_numbered_in_build_order(tmp_path):
    archive = Archive(tmp_path)
    ids = [publish(archive) for _ in range(3)]
    assert [v.id for v in archive.versions()] == ids
    assert [v.seq for v in archive.versions()] == [1, 2, 3]
    assert ids[0].startswith("v0001-") and ids[0].endswith("-mnist-quick-abc1234")


def test_manifest_lists_every_file_with_its_sha256(tmp_path):
    archive = Archive(tmp_path)
    publish(archive, fill=lambda s: (s.path / "report.html").write_text("<html></html>"))
    version = archive.versions()[0]
    assert set(version.manifest["files"]) == {"metrics.json", "report.html"}
    assert archive.verify(version) == []
    (version.path / "report.html").write_text("tampered")
    assert archive.verify(version) == ["report.html: changed since the build"]


def test_a_failed_build_leaves_nothing(tmp_path):
    archive = Archive(tmp_path)

    def explode(staging):
        raise RuntimeError("render failed")

    with pytest.raises(RuntimeError):
        publish(archive, fill=explode)
    assert archive.versions() == []
    assert [p.name for p in tmp_path.iterdir() if not p.name.startswith(".lock")] == []


def test_a_killed_builds_staging_is_ignored_and_cleaned(tmp_path):
    archive = Archive(tmp_path)
    dead = tmp_path / ".staging-v0001-999999999"
    dead.mkdir()
    (dead / "metrics.json").write_text("{}")
    assert archive.versions() == []
    assert publish(archive).startswith("v0001-")
    assert not dead.exists()


def test_an_existing_version_is_never_overwritten(tmp_path, monkeypatch):
    archive = Archive(tmp_path)
    first = publish(archive)
    monkeypatch.setattr(Archive, "_taken_numbers", lambda self: set())  # force a clash
    clash_time = archive.versions()[0].manifest["created_utc"]
    when = datetime.strptime(clash_time, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    with pytest.raises(ReportgenError, match="never overwritten"):
        with archive.new_version("mnist-quick-abc1234", when=when) as staging:
            staging.describe(dataset="mnist", profile="quick", commit="x", headlines={})
    assert [v.id for v in archive.versions()] == [first]


def _slow_build(root, barrier):
    archive = Archive(root)
    with archive.new_version("mnist-quick-abc1234") as staging:
        barrier.wait()  # both builds are staged at once
        time.sleep(0.2)
        staging.describe(dataset="mnist", profile="quick", commit="x", headlines={})


def test_two_builds_at_once_get_two_versions(tmp_path):
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(2)
    workers = [context.Process(target=_slow_build, args=(tmp_path, barrier)) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(30)
    assert [w.exitcode for w in workers] == [0, 0]
    assert [v.seq for v in Archive(tmp_path).versions()] == [1, 2]


@pytest.mark.parametrize("ref", ["latest", "2", "v0002", "v0002-"])
def test_resolve_by_latest_number_and_prefix(tmp_path, ref):
    archive = Archive(tmp_path)
    publish(archive)
    second = publish(archive)
    if ref == "v0002-":
        ref = second
    assert archive.resolve(ref).id == second


@pytest.mark.parametrize(
    "ref, message",
    [("v0009", "no version matches"), ("../etc", "not a version id"),
     ("/tmp/x", "not a version id"), (".staging-v0001-1", "not a version id"),
     ("v", "2 versions match")],
)
def test_resolve_refuses_unknown_and_outside_paths(tmp_path, ref, message):
    archive = Archive(tmp_path)
    publish(archive)
    publish(archive)
    with pytest.raises(ReportgenError, match=message):
        archive.resolve(ref)


def test_previous_is_the_newest_of_the_same_dataset_and_profile(tmp_path):
    archive = Archive(tmp_path)
    a = publish(archive, profile="quick")
    publish(archive, profile="full", slug="mnist-full-abc1234")
    assert archive.previous("mnist", "quick").id == a
    assert archive.previous("digits", "quick") is None


def test_a_matrix_is_never_a_previous_version_nor_the_latest_chapter(tmp_path):
    archive = Archive(tmp_path)
    chapter = publish(archive, profile="full", slug="mnist-full-abc1234", scikit_learn="1.9.1")
    matrix = publish(archive, profile="full", slug="matrix-mnist-full-abc1234", kind="matrix",
                     releases=["scikit-learn 1.5.2", "scikit-learn 1.9.1"])
    assert archive.previous("mnist", "full").id == chapter
    assert archive.resolve("latest").id == matrix
    assert archive.resolve("latest", kind="chapter").id == chapter
    with pytest.raises(ReportgenError, match="is a release matrix"):
        archive.resolve(matrix).record()


def test_a_build_with_another_release_is_not_the_previous_version(tmp_path):
    archive = Archive(tmp_path)
    publish(archive, profile="full", slug="mnist-full-abc1234")  # its release is unknown
    old = publish(archive, profile="full", slug="mnist-full-abc1234", scikit_learn="1.9.1")
    publish(archive, profile="full", slug="mnist-full-abc1234", scikit_learn="1.5.2")
    assert archive.previous("mnist", "full", scikit_learn="1.9.1").id == old
    assert archive.previous("mnist", "full", scikit_learn="1.7.2") is None


def test_empty_archive_says_how_to_fill_it(tmp_path):
    with pytest.raises(ReportgenError, match="reportgen build"):
        Archive(tmp_path / "none").resolve("latest")


def test_staging_is_hidden_while_building(tmp_path):
    archive = Archive(tmp_path)
    seen = []
    publish(archive, fill=lambda s: seen.append(len(archive.versions())))
    assert seen == [0] and len(archive.versions()) == 1
    assert os.listdir(tmp_path)


def test_metrics_that_changed_since_the_build_are_refused(tmp_path):
    archive = Archive(tmp_path)
    publish(archive)
    version = archive.versions()[0]
    assert version.record().metrics == {}
    (version.path / "metrics.json").write_text(json.dumps({"metrics": {"forged": 1.0}}))
    with pytest.raises(ReportgenError, match="changed since the build"):
        version.record()


def test_a_damaged_manifest_is_skipped_with_its_line_and_an_error_when_asked_for(tmp_path):
    """One damaged version blocks nothing else: it is skipped (said once, in one line), its
    number stays taken, and only a command that names it fails, with that line."""
    said = []
    archive = Archive(tmp_path, warn=said.append)
    publish(archive)
    publish(archive)
    manifest = archive.versions()[0].path / "manifest.json"
    manifest.write_text("{broken")
    assert [v.seq for v in archive.versions()] == [2] and archive.resolve("2").seq == 2
    archive.versions()
    assert len(said) == 1
    assert re.fullmatch(f"skipped v0001-.*: {manifest} is damaged .*restore its version.*",
                        said[0])
    with pytest.raises(ReportgenError, match=f"{manifest} is damaged .*restore its version"):
        archive.resolve("1")
    assert archive.previous("mnist", "quick").seq == 2
    assert publish(archive).startswith("v0003-")  # the damaged one's number is not reused
    manifest.parent.rename(tmp_path / "v0009-20261205T000000Z-mnist-quick-abc1234")
    with pytest.raises(ReportgenError, match="is damaged"):
        archive.resolve("latest")  # the newest is the damaged one: it is what was asked for


def test_a_version_not_described_is_a_clear_error_and_leaves_nothing(tmp_path):
    archive = Archive(tmp_path)
    with pytest.raises(RuntimeError, match="call Staging.describe"):
        with archive.new_version("mnist-quick-abc1234") as staging:
            (staging.path / "metrics.json").write_text("{}")
    assert list(tmp_path.iterdir()) == [tmp_path / ".lock"]


@pytest.mark.parametrize("manifest", [
    [], "text", {"profile": "quick", "files": {}}, {"dataset": 5, "profile": "q", "files": {}},
    {"dataset": "mnist", "profile": "quick", "files": ["metrics.json"]},
    {"dataset": "mnist", "profile": "quick", "files": {"metrics.json": 7}},
    {"dataset": "mnist", "profile": "quick", "files": {}, "headlines": [1]},
])
def test_a_manifest_of_the_wrong_shape_is_a_one_line_error_naming_it(tmp_path, manifest):
    archive = Archive(tmp_path)
    publish(archive)
    path = archive.versions()[0].path / "manifest.json"
    path.write_text(json.dumps(manifest))
    assert archive.versions() == []
    with pytest.raises(ReportgenError, match=f"{path} is not what reportgen wrote"):
        archive.resolve("1")


@pytest.mark.parametrize("document", [
    [1, 2], {"metrics": [], "dataset": {"name": "mnist"}, "profile": {"name": "quick"}},
    {"metrics": {}, "dataset": "mnist", "profile": {"name": "quick"}},
    {"metrics": {}, "dataset": {"title": "no name"}, "profile": {"name": "quick"}},
])
def test_metrics_of_the_wrong_shape_are_a_one_line_error_naming_them(tmp_path, document):
    def fill(staging):
        (staging.path / "metrics.json").write_text(json.dumps(document))

    archive = Archive(tmp_path)
    with archive.new_version("mnist-quick-abc1234") as staging:
        fill(staging)
        staging.describe(dataset="mnist", profile="quick", commit="abc1234", headlines={})
    version = archive.versions()[0]
    with pytest.raises(ReportgenError, match="metrics.json is not what reportgen wrote"):
        version.record()


def test_no_output_folder_may_lie_inside_any_archive(tmp_path):
    archive = Archive(tmp_path / "reports")
    publish(archive)
    version = archive.versions()[0].path
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "link").symlink_to(version)
    for inside in (archive.root, version, version / "figures", archive.root / "new",
                   tmp_path / "elsewhere" / "link", archive.root / ".staging-v0009-1"):
        with pytest.raises(ReportgenError, match="archive .*never written to"):
            refuse_inside_archive(inside, f"--out {inside}")
    assert refuse_inside_archive(tmp_path / "out", "--out") == tmp_path / "out"
    assert refuse_inside_archive(tmp_path / "elsewhere", "--out") == tmp_path / "elsewhere"
    # a --reports-dir may be an archive itself, not a folder inside one
    assert refuse_inside_archive(archive.root, "--reports-dir", may_be_archive=True)
    with pytest.raises(ReportgenError, match="lies inside the archive"):
        refuse_inside_archive(version / "nested", "--reports-dir", may_be_archive=True)


def test_a_staging_folder_that_is_a_symbolic_link_is_never_written_through(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    archive = Archive(tmp_path / "reports")
    archive.root.mkdir()
    (archive.root / ".staging-v0001-999999999").symlink_to(outside)
    archive.clear_abandoned()
    assert publish(archive).startswith("v0001-")
    assert list(outside.iterdir()) == []  # no lock file, nothing removed or written there


def test_a_lock_file_that_is_a_symbolic_link_is_refused(tmp_path):
    target = tmp_path / "precious.txt"
    target.write_text("keep me")
    archive = Archive(tmp_path / "reports")
    archive.root.mkdir()
    (archive.root / ".lock").symlink_to(target)
    with pytest.raises(ReportgenError, match="symbolic link"):
        publish(archive)
    assert target.read_text() == "keep me"


def test_a_read_only_archive_can_be_listed(tmp_path, monkeypatch):
    archive = Archive(tmp_path / "reports")
    publish(archive)
    real_open = os.open

    def read_only_file_system(path, flags, *args):  # what a read-only mount answers, even root
        if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
            raise OSError(errno.EROFS, "Read-only file system", str(path))
        return real_open(path, flags, *args)

    monkeypatch.setattr(os, "open", read_only_file_system)
    assert archive.clear_abandoned() == []
    assert len(archive.versions()) == 1


def test_json_nested_too_deeply_is_damage_not_a_recursion_error(tmp_path):
    archive = Archive(tmp_path)
    publish(archive)
    path = archive.versions()[0].path / "manifest.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(ReportgenError, match="nested too deeply"):
        archive.resolve("1")


@pytest.mark.parametrize("part, value", [
    ("timings", {"wall_seconds": 1.0, "experiments": []}),
    ("timings", {"wall_seconds": 1.0, "experiments": {"x": {"seconds": "1", "cached": True}}}),
    ("repeats", {"count": 3, "metrics": 5}),
    ("repeats", {"count": 3, "metrics": {"m": {"values": 1}}}),
    ("thresholds", [1, "x"]),
    ("thresholds", [{"id": "t", "metric": "m", "passed": "yes", "message": "m"}]),
    ("metrics", [1]),
])
def test_a_part_of_metrics_json_of_the_wrong_shape_is_named(tmp_path, part, value):
    document = {"metrics": {}, "dataset": {"name": "mnist"}, "profile": {"name": "quick"},
                part: value}

    archive = Archive(tmp_path)
    with archive.new_version("mnist-quick-abc1234") as staging:
        (staging.path / "metrics.json").write_text(json.dumps(document))
        staging.describe(dataset="mnist", profile="quick", commit="abc1234", headlines={})
    with pytest.raises(ReportgenError, match=f"not what reportgen wrote \\({part}"):
        archive.versions()[0].record()


def test_a_headline_the_manifest_changed_is_refused_and_shown_by_verify(tmp_path):
    """The manifest is not digest-checked: its headline numbers are checked against the
    digest-checked metrics.json before anyone prints them."""
    archive = Archive(tmp_path)

    def fill(staging):
        (staging.path / "metrics.json").write_text(json.dumps(
            {"metrics": {"b.auc": 0.9904}, "dataset": {"name": "mnist"},
             "profile": {"name": "quick"}}))

    with archive.new_version("mnist-quick-abc1234") as staging:
        fill(staging)
        staging.describe(dataset="mnist", profile="quick", commit="abc1234",
                         headlines={"b.auc": 0.9904}, headline_labels={"b.auc": "AUC"})
    version = archive.versions()[0]
    assert [(h.label, h.value) for h in version.headlines()] == [("AUC", 0.9904)]
    manifest = json.loads((version.path / "manifest.json").read_text())
    manifest["headlines"]["b.auc"] = 0.1234
    (version.path / "manifest.json").write_text(json.dumps(manifest))
    version = archive.versions()[0]
    with pytest.raises(ReportgenError, match="headline b.auc = 0.1234, but metrics.json says"
                                             " 0.9904"):
        version.headlines()
    (version.path / "notes.txt").write_text("written later")
    problems = archive.verify(version)
    assert "notes.txt: not in the manifest" in problems
    assert any("headline b.auc = 0.1234" in problem for problem in problems)
