"""The documentation: the generated metrics page matches the code, and the site builds with no
warning (broken links and anchors are warnings, so errors with --strict)."""

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_metrics_schema_page_is_generated_from_the_code(tmp_path):
    out = tmp_path / "metrics-schema.md"
    subprocess.run([sys.executable, str(ROOT / "docs" / "gen_metrics_schema.py"), "--out",
                    str(out)], check=True, cwd=tmp_path)
    committed = (ROOT / "docs" / "metrics-schema.md").read_text(encoding="utf-8")
    assert out.read_text(encoding="utf-8") == committed, "run python docs/gen_metrics_schema.py"


@pytest.mark.skipif(importlib.util.find_spec("mkdocs") is None,
                    reason="mkdocs is not installed (tox -e docs installs it)")
def test_the_site_builds_strictly(tmp_path):
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir",
                           str(tmp_path / "site")], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "site" / "architecture" / "index.html").is_file()


def test_the_reliability_page_says_what_jobs_above_the_cores_does():
    """It said such --jobs "runs that many workers"; the code runs one per core, and says so."""
    from reportgen.engine.schedule import worker_count
    from reportgen.provenance import cpu_count

    page = " ".join((ROOT / "docs" / "reliability.md").read_text(encoding="utf-8").split())
    quoted = re.search(r'"(--jobs \d+ is more than [^"]*)"', page)
    said: list[str] = []
    assert worker_count(cpu_count() + 1, log=said.append) == cpu_count()
    assert quoted and re.sub(r"\d+", "N", quoted[1]) == re.sub(r"\d+", "N", said[0])
