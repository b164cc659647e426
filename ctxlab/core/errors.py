"""The one base class for failures a user can fix: the message is a single line saying how.

The CLI turns these into a one-line error and a non-zero exit; anything else is a
bug and keeps its traceback.
"""


class UserError(Exception):
    """Bad input, a missing file or an impossible setting, phrased for the user."""


class ProbeError(UserError, ValueError):
    """A probe cannot run as asked (a window too small for the prompt, an empty haystack)."""
