"""An example chapter that lives outside reportgen: classifying drawn shapes.

reportgen finds it through this folder's pyproject.toml ([tool.reportgen]); nothing in
reportgen names it.
"""
