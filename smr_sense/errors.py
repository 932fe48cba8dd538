"""The project's one exception root.

Every error a user can cause (a bad file, an unknown source, a missing device) is an ``SmrError``
whose message is one clear sentence; the command line prints it and exits non-zero, never a traceback.
"""


class SmrError(Exception):
    """Base of every error smr_sense reports to a user. ``str(err)`` is one sentence."""

    exit_code = 2


class UsageError(SmrError):
    """A bad command-line argument or option value."""


class FileFormatError(SmrError):
    """A file that is missing, empty, corrupt, foreign or of another schema version."""
