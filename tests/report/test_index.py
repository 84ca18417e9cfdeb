"""reports/index.html: every number it shows comes from a version's digest-checked files."""

import json

from reportgen.archive import Archive
from reportgen.report.index import write_index
from tests.versions import fabricate_version


def test_the_index_shows_no_number_the_manifest_changed(tmp_path):
    """A headline edited in manifest.json (which nothing digest-checks) is not shown; the
    version's other numbers come from metrics.json, as list's do."""
    reports = tmp_path / "reports"
    auc = "binary.forest.roc_auc"
    forged = fabricate_version(reports, {auc: 0.9904}, headlines=(auc,))
    fabricate_version(reports, {auc: 0.9871}, headlines=(auc,))
    manifest = json.loads((reports / forged / "manifest.json").read_text())
    manifest["headlines"][auc] = 0.1234
    manifest["thresholds"] = {"passed": 9, "total": 9}
    (reports / forged / "manifest.json").write_text(json.dumps(manifest))
    html = write_index(Archive(reports)).read_text()
    assert "0.9871" in html
    assert "0.1234" not in html and "9/9" not in html
