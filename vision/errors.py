"""Errors a user can act on: each carries one line that names the problem and what to do."""


class InputError(Exception):
    """The input cannot be measured. ``str(err)`` is a one-line message for the user."""
