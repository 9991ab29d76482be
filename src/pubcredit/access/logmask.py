"""A logging filter that masks personal identifiers in every record before it is written.

Installed on the root handler in ``settings.LOGGING``. The message is rendered with its
arguments, masked (``pubcredit.codes.mask_text``: resident-ID-shaped runs keep region and last
four), and stored back with no arguments, so no handler or formatter sees the raw number; the
traceback text of an exception is rendered and masked the same way.
"""

from __future__ import annotations

import logging

from pubcredit.codes.masking import mask_text

_formatter = logging.Formatter()


class MaskPersonalData(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a malformed call still gets logged, masked
            message = f"{record.msg} {record.args}"
        record.msg = mask_text(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = _formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_text(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_text(record.stack_info)
        return True
