"""Provenance names what decides a build's last bits, the BLAS and its CPU kernels included."""

from reportgen.provenance import collect


def test_provenance_names_the_blas_and_its_kernels():
    libraries = collect().libraries
    assert libraries["BLAS"] != "unknown"
    assert any(char.isdigit() for char in libraries["BLAS"])
    assert libraries["scikit-learn"][0].isdigit()


def test_a_projects_own_commit_names_its_versions(tmp_path):
    """What changed between two versions of a project's chapter is mostly in the project: its
    commit, and whether its tree had uncommitted changes, are recorded and name the version."""
    import subprocess

    def git(*args):
        subprocess.run(["git", "-C", str(tmp_path), "-c", "user.name=t", "-c",
                        "user.email=t@example.org", *args], check=True, capture_output=True)

    git("init", "-q")
    (tmp_path / "chapter.py").write_text("N_TREES = 300\n")
    git("add", "chapter.py")
    git("commit", "-q", "-m", "first")
    head = subprocess.run(["git", "-C", str(tmp_path), "rev-parse", "HEAD"], text=True,
                          capture_output=True, check=True).stdout.strip()
    origin = collect(tmp_path)
    assert (origin.project_commit, origin.project_dirty) == (head, False)
    assert origin.short_commit == head[:7] and origin.commit != head
    (tmp_path / "chapter.py").write_text("N_TREES = 20\n")
    assert collect(tmp_path).project_dirty is True
    assert collect(tmp_path / "nowhere").project_commit == "unknown"
    assert collect().project is None and collect().short_commit == collect().commit[:7]
