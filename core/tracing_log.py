"""An unreachable Langfuse host is one docent line on stderr, not the OpenTelemetry
exporter's WARNING/ERROR lines (5 for one `ask`, with a retry each) from every flush."""

from __future__ import annotations

import logging
import sys
import threading

# the loggers the Langfuse SDK's span export writes to when the host does not answer
EXPORT_LOGGERS = ("opentelemetry", "langfuse")


class ExportFailureLine(logging.Handler):
    """Takes the export loggers' warnings and errors; says once that `host` failed."""

    def __init__(self, host: str | None) -> None:
        super().__init__(logging.WARNING)
        self.host = host
        self._said = threading.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if self._said.is_set():
            return
        self._said.set()
        reason = (record.getMessage().splitlines() or [record.levelname])[0][:100]
        print(f"docent: warning: tracing to Langfuse at {self.host} failed ({reason}…); "
              "the run itself is unaffected: check LANGFUSE_BASE_URL or unset the "
              "LANGFUSE_* keys", file=sys.stderr, flush=True)


def quiet_export_errors(host: str | None) -> ExportFailureLine:
    """Route the export loggers to one `ExportFailureLine` (instead of the root's
    handlers) and return it; DEBUG/INFO of those loggers still reaches it unseen."""
    line = ExportFailureLine(host)
    for name in EXPORT_LOGGERS:
        logger = logging.getLogger(name)
        logger.handlers = [line]
        logger.propagate = False
    return line
