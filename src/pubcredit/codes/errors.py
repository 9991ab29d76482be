"""Errors and warnings raised by the code validators.

A ``CodeError`` is fatal: the value is not a valid code. A ``CodeWarning`` is a finding a
person should look at (an unknown county, a failing legacy org-code check) but that must not
stop a record: real data carries such codes and rejecting them would lose the record.

``kind`` is a stable English slug for programs; ``message`` is the Chinese text for users.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CodeError", "CodeWarning"]


class CodeError(ValueError):
    """A code is invalid.

    ``kind`` is one of ``empty``, ``length``, ``character``, ``placeholder``,
    ``registration_department``, ``org_type``, ``region``, ``birth_date``,
    ``check_character``. ``position`` is 1-based (the first position of a segment for segment
    errors) or None when the whole value is at fault. ``expected``/``got`` hold the relevant
    fragments, never the whole value (messages end up in logs).
    """

    def __init__(
        self,
        kind: str,
        message: str,
        *,
        position: int | None = None,
        expected: str | None = None,
        got: str | None = None,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.position = position
        self.expected = expected
        self.got = got

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return (
            f"CodeError(kind={self.kind!r}, position={self.position!r}, expected={self.expected!r}, got={self.got!r})"
        )


@dataclass(frozen=True, slots=True)
class CodeWarning:
    """A non-fatal finding about a valid code (``kind`` slug + Chinese ``message``)."""

    kind: str
    message: str

    def __str__(self) -> str:
        return self.message
