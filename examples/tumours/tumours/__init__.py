"""Tumours: a tabular reportgen chapter (scikit-learn's breast-cancer data)."""
