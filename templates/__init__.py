"""Jinja2 templates and the stylesheet of the report (installed as reportgen.templates)."""
