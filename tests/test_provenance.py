"""Provenance names what decides a build's last bits, the BLAS and its CPU kernels included."""

from reportgen.provenance import collect


def test_provenance_names_the_blas_and_its_kernels():
    libraries = collect().libraries
    assert libraries["BLAS"] != "unknown"
    assert any(char.isdigit() for char in libraries["BLAS"])
    assert libraries["scikit-learn"][0].isdigit()
