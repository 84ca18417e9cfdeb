"""The report: plain data (model) -> HTML from Jinja2 templates (render) -> PDF (WeasyPrint)."""
