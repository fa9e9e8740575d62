"""Logging helpers."""

import logging


class RefusalsInOneLine(logging.Filter):
    """A page refused to a user (403, 404: someone typed a wrong address, or opened what is not theirs) is worth one
    line in the log, not the traceback Django attaches to it: it is no fault of the app. Errors keep theirs."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if status is not None and 400 <= status < 500:
            record.exc_info = None
            record.exc_text = None
        return True
