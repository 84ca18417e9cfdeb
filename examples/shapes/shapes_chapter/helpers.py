"""The chapter's estimators and constants, in one module its sections share.

Every seed goes through `reseeded`, so `--repeats` reaches it; reportgen's cache key follows
this module's code because it lives outside the installed libraries.
"""

from __future__ import annotations

from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from reportgen.engine.repeats import reseeded

CV_FOLDS = 3
FOREST_SEED = 7
N_TREES = 50
NEIGHBOURS = 3


def forest() -> RandomForestClassifier:
    return RandomForestClassifier(n_estimators=N_TREES, random_state=reseeded(FOREST_SEED))


def neighbours() -> KNeighborsClassifier:
    return KNeighborsClassifier(n_neighbors=NEIGHBOURS)


def linear() -> object:
    """A scaled logistic regression: the linear baseline."""
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))


def training_data(data) -> tuple:
    return data.X_train, data.y_train
