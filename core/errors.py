"""Errors meant for the user: printed as one clear line, never as a traceback."""


class DocentError(RuntimeError):
    """A problem the user can fix; the message says how. A RuntimeError, so that LangGraph's
    server shows its message to Studio rather than "An internal error occurred"."""


class ModelNotFoundError(DocentError):
    """A configured model (embedding or GGUF) cannot be found."""
