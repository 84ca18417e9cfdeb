"""Which metrics.json the threshold tests check.

By default the newest archived MNIST version of --thresholds-profile (full) in --reports-dir
(reports/); --report-version picks one; with none archived, a fresh quick build is made once
per session in a temporary archive, with a temporary cache (the user's verified MNIST is
linked into it; nothing is written to the user's cache, so it computes every result).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from reportgen.archive import Archive
from reportgen.thresholds import DEFAULT_SPEC, applicable
from tests.chapter import builtin_spec

ROOT = Path(__file__).resolve().parents[2]


def pytest_addoption(parser):
    group = parser.getgroup("reportgen thresholds")
    group.addoption("--reports-dir", default=str(ROOT / "reports"),
                    help="archive whose versions the threshold tests check")
    group.addoption("--report-version", default=None,
                    help="check this archived version (id, number or latest)")
    group.addoption("--thresholds-profile", default="full",
                    help="profile of the newest version to check (full or quick)")


def _target(config) -> tuple[Archive, str | None, str]:
    """(archive, version id or None for a fresh build, profile)."""
    archive = Archive(Path(config.getoption("--reports-dir")))
    wanted = config.getoption("--report-version")
    if wanted:
        version = archive.resolve(wanted)
        return archive, version.id, version.manifest["profile"]
    profile = config.getoption("--thresholds-profile")
    version = archive.previous("mnist", profile)
    if version is not None:
        return archive, version.id, profile
    return archive, None, "quick"


def pytest_generate_tests(metafunc):
    if "threshold" in metafunc.fixturenames:
        _, _, profile = _target(metafunc.config)
        spec = applicable(builtin_spec(DEFAULT_SPEC), "mnist", profile)
        metafunc.parametrize("threshold", spec, ids=[t.id for t in spec])


@pytest.fixture(scope="session")
def checked_version(request) -> str | None:
    """The archived version the threshold tests check; None for a fresh build."""
    return _target(request.config)[1]


@pytest.fixture(scope="session")
def checked_record(request, tmp_path_factory, mnist):
    archive, version_id, _ = _target(request.config)
    if version_id is not None:
        return archive.resolve(version_id).record()  # renamed metrics under today's names
    from reportgen.build import build_report

    cache = tmp_path_factory.mktemp("cache")  # its results go here, never to the user's cache
    (cache / "datasets").mkdir()
    (cache / "datasets" / "mnist.npz").symlink_to(mnist.cache_path)  # the verified MNIST, read
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("REPORTGEN_CACHE", str(cache))
        fresh = build_report("mnist", "quick", reports_dir=tmp_path_factory.mktemp("reports"),
                             pdf=False)
    return fresh.record
