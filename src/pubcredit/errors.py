"""One error tree for the whole platform.

Services raise these; the API (``pubcredit.api``), the portal and the CLI map them to HTTP
status codes or exit codes at the edge. Services never import HTTP code.
"""

from __future__ import annotations


class PubcreditError(Exception):
    """Base of every error the platform raises on purpose."""

    status = 400
    code = "error"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def as_dict(self) -> dict[str, str | int]:
        out: dict[str, str | int] = {"code": self.code, "message": self.message}
        if self.field:
            out["field"] = self.field
        return out

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


class InvalidInput(PubcreditError):
    """The input is malformed or breaks a rule; ``field`` names where."""

    status = 400
    code = "invalid"


class NotFound(PubcreditError):
    status = 404
    code = "not_found"


class NotPermitted(PubcreditError):
    status = 403
    code = "not_permitted"


class Conflict(PubcreditError):
    """The operation does not fit the current state (e.g. a wrong workflow transition)."""

    status = 409
    code = "conflict"


class Gone(PubcreditError):
    """What was asked for existed but has been deleted for good (e.g. past its keeping period)."""

    status = 410
    code = "gone"


class DeadlinePassed(Conflict):
    code = "deadline_passed"


class Busy(PubcreditError):
    """The platform cannot take this on now, but will: ask again after ``retry_after`` seconds."""

    status = 503
    code = "busy"

    def __init__(self, message: str, *, retry_after: int, field: str | None = None) -> None:
        super().__init__(message, field=field)
        self.retry_after = retry_after

    def as_dict(self) -> dict[str, str | int]:
        return {**super().as_dict(), "retry_after": self.retry_after}
