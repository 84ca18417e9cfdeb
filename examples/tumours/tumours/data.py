"""The chapter's data: scikit-learn's bundled breast-cancer table, 569 rows of 30 float
features (measurements of cell nuclei), malignant or benign.

`sklearn_dataset` reads the sizes and the feature and class names from the bundle; the rows are
shuffled once with seed 0 (this bundle is not sorted by class, but iris and wine are) and the
first 80 % train. The digests pin the data: `reportgen data digest` printed them.
"""

from reportgen.data import sklearn_dataset

BREAST_CANCER = sklearn_dataset(
    "load_breast_cancer",
    x_sha256="0966722073de6aa72bfa8649a4c25d97deed79e9b14ec0ad1ade226f3ba4ebd2",
    y_sha256="747d50adc069b7aeeacb4c835eb4180ecf576288c20bede29958bfccec7b9956",
)
