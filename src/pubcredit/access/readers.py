"""Who is reading, and which open levels (Art. 14) they may see of a subject.

Every read path (pages, API, PDF, exports) builds a ``Reader`` at the edge and passes it to the
queries; ``visible_levels`` is the one place that decides. Authorisations (Art. 14, 17) and the
government application list (Art. 27) extend it; until a reader holds one of those, a reader who
is not the subject itself sees public information only.
"""

from __future__ import annotations

from dataclasses import dataclass

from pubcredit.catalog.models import OpenLevel


@dataclass(frozen=True)
class Reader:
    """The party reading; ``subject_id`` is set for a subject reading about itself."""

    kind: str = "public"
    user_id: int | None = None
    subject_id: int | None = None
    department_id: int | None = None
    channel: str = "web"

    @property
    def is_public(self) -> bool:
        return self.kind == "public"


PUBLIC = Reader()
ALL_LEVELS = frozenset(OpenLevel.values)


def visible_levels(reader: Reader, subject_id: int) -> frozenset[str]:
    """Art. 14: the open levels of ``subject_id``'s information that ``reader`` may see.

    The subject sees every level of its own information; anyone else, without an
    authorisation or an application-list matter, sees public information only.
    """
    if reader.subject_id is not None and reader.subject_id == subject_id:
        return ALL_LEVELS
    return frozenset({OpenLevel.PUBLIC.value})


def sees_full_identity(reader: Reader, subject_id: int) -> bool:
    """Whether the reader may see a person's full resident ID number and name (Art. 38)."""
    return reader.subject_id is not None and reader.subject_id == subject_id


def reader_for_user(user: object, *, channel: str) -> Reader:
    """Build the reader from a request's user (anonymous → public)."""
    if not getattr(user, "is_authenticated", False):
        return Reader(channel=channel)
    return Reader(
        kind=str(getattr(user, "role", "public")),
        user_id=getattr(user, "pk", None),
        subject_id=getattr(user, "subject_id", None),
        department_id=getattr(user, "department_id", None),
        channel=channel,
    )
