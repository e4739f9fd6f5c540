"""The runtime's own log file in the data dir (the "logging" override's handler).

A handler that cannot write (a full disk, a file size limit) makes the standard library
print a traceback to stderr for every record, into the shell's log that may be just as
full. This one loses those records with one line on stderr, once per handler, until a
record can be written again.
"""

from __future__ import annotations

import contextlib
import logging
import logging.handlers
import sys


class DataDirLogHandler(logging.handlers.RotatingFileHandler):
    failing = False  # the last record could not be written (and that was said)
    _failed_now = False

    def emit(self, record: logging.LogRecord) -> None:
        self._failed_now = False
        super().emit(record)  # calls handleError when it cannot write
        if not self._failed_now:
            self.failing = False  # written again: a later failure is told again

    def handleError(self, record: logging.LogRecord) -> None:
        self._failed_now = True
        if self.failing:
            return
        self.failing = True
        error = sys.exc_info()[1]
        reason = f"{type(error).__name__}: {error}" if error else "unknown error"
        # stderr gone or full too: nothing is left to tell.
        with contextlib.suppress(OSError, ValueError):
            sys.stderr.write(
                f"run_django: cannot write the log {self.baseFilename} ({reason}); "
                "records are lost until it can\n"
            )
