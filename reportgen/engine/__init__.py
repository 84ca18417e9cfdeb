"""The analysis engine: every experiment of the chapter as a named unit returning plain results.

Import from the modules (`profiles`, `registry`, `runner`): this package imports nothing itself,
so the commands that need no estimator (`data fetch`, `list`, `show`) start without loading
scikit-learn.
"""
