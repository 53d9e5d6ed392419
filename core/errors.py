"""Errors meant for the user: printed as one clear line, never as a traceback."""


class DocentError(Exception):
    """A problem the user can fix; the message says how."""


class ModelNotFoundError(DocentError):
    """A configured model (embedding or GGUF) cannot be found."""
