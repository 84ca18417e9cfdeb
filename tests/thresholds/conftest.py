"""The chapter's claims are checked by reportgen's pytest plugin (reportgen/pytest_plugin.py):
`pytest reportgen/thresholds.toml` checks the newest archived MNIST version of reports/, and
with `--claims-build quick` a fresh quick build (tox's thresholds env). The tests here check
how the quick bounds were derived and how a claim newer than a version is reported."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
