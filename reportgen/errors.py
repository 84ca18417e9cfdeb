"""The one exception type a user can cause; the CLI prints it as one line, never a traceback."""


class ReportgenError(Exception):
    """A mistake or missing resource the user can fix; the message says what and how."""


class DataError(ReportgenError):
    """Data that is missing, malformed, or not the data it claims to be."""
