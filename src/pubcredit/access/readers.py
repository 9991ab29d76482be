"""Who is reading, and what of a subject they may see (Art. 14, 27). Decided here, once.

Every read path (pages, API, PDF, batch, exports) builds a ``Reader`` at the edge and passes it
to the queries, which call ``visibility``. The rule:

- anyone: public information;
- the subject itself: every level of its own information;
- an organisation holding a valid authorisation from the subject (Art. 14, 17): public and
  authorised information;
- a department officer querying for a matter of the government application list (Art. 27),
  naming a purpose: authorised and government-internal information of the catalog entries that
  matter lists, besides public information.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from django.db import connection
from django.http import HttpRequest
from django.utils import timezone

from pubcredit import prepared
from pubcredit.catalog.models import OpenLevel
from pubcredit.errors import InvalidInput, NotFound, NotPermitted
from pubcredit.textinput import one_line

if TYPE_CHECKING:
    from pubcredit.access.tokens import TokenOwner

PUBLIC_LEVEL = OpenLevel.PUBLIC.value
ALL_LEVELS = frozenset(OpenLevel.values)


@dataclass(frozen=True)
class Reader:
    """The party reading. Fields are set at the edge from the session or API token."""

    kind: str = "public"  # public | subject | officer | agency | operator | auditor
    name: str = ""
    user_id: int | None = None
    subject_id: int | None = None  # the subject account's own subject
    department_id: int | None = None
    agency_id: int | None = None  # the organisation (subject) reading under authorisations
    matter: str = ""  # application-list matter code named by an officer
    purpose: str = ""
    channel: str = "web"
    agency_name: str = ""  # the organisation's name when the edge already read it (API tokens); else looked up

    @property
    def is_public(self) -> bool:
        return self.kind == "public"


PUBLIC = Reader()


@dataclass(frozen=True)
class Visibility:
    """What a reader may see of one subject."""

    levels: frozenset[str]
    entries: frozenset[str] | None = None  # for non-public levels: only these entry codes (None = all)
    authorization_id: int | None = None
    matter_id: int | None = None
    purpose: str = ""
    own: bool = False

    def allows(self, level: str, entry_code: str) -> bool:
        if level == PUBLIC_LEVEL:
            return True
        if level not in self.levels:
            return False
        return self.entries is None or entry_code in self.entries

    @property
    def non_public(self) -> bool:
        return self.levels != {PUBLIC_LEVEL}


PUBLIC_ONLY = Visibility(levels=frozenset({PUBLIC_LEVEL}))


# The authorisation ``visibility`` looks for: from the subject to the reader's organisation, not
# revoked, valid today (the latest-ending one). Plain SQL: it runs on every organisation's read.
# Parameters: subject, the reader's organisation (NULL: none), today, today. Its row (id, purpose)
# is what ``visibility`` takes as ``authorization`` when a caller read it along with other things.
_VALID = "grantee_id = %s AND revoked_at IS NULL AND valid_from <= %s AND valid_until >= %s"
VALID_AUTHORIZATION_SQL = f"""
    SELECT id, purpose FROM access_authorization
    WHERE subject_id = %s AND {_VALID}
    ORDER BY valid_until DESC LIMIT 1
"""


def authorizing_subjects(agency_id: int, subject_ids: Collection[int], *, today: date) -> set[int]:
    """Which of ``subject_ids`` hold an authorisation to ``agency_id`` valid ``today``: the subjects
    for which ``visibility`` can grant an agency more than the public level (Art. 14), in one query."""
    if not subject_ids:
        return set()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT DISTINCT subject_id FROM access_authorization WHERE subject_id = ANY(%s) AND {_VALID}",
                       [list(subject_ids), agency_id, today, today])
        return {int(sid) for (sid,) in cursor.fetchall()}


#: The most an authorisation grants (Art. 14): what a read that depends on one may have to fetch.
AUTHORIZED_LEVELS = frozenset({PUBLIC_LEVEL, OpenLevel.AUTHORIZED.value})
_UNREAD: Any = object()


def depends_on_authorization(reader: Reader, subject_id: int) -> bool:
    """Whether ``visibility`` of ``subject_id`` for ``reader`` turns on an authorisation from the subject to
    the reader's organisation (``VALID_AUTHORIZATION_SQL``): the reader reads for an organisation, and
    not its own information."""
    return reader.agency_id is not None and not (reader.subject_id is not None and reader.subject_id == subject_id)


def visibility(reader: Reader, subject_id: int, *, today: date | None = None,
               authorization: tuple[int, str] | None = _UNREAD) -> Visibility:
    """Art. 14, 27: the open levels (and entries) of ``subject_id``'s information ``reader`` may see.

    ``authorization``: the row of ``VALID_AUTHORIZATION_SQL`` (or None, no such row) when the caller
    has read it already, with today's date, in a statement of its own (``subjects.queries.profile``
    reads it with the records); by default it is read here when the rule needs it.

    Raises NotPermitted when an officer names a matter that is not theirs or not published, and
    InvalidInput when an officer names a matter without a purpose.
    """
    from pubcredit.access.models import Matter

    if reader.subject_id is not None and reader.subject_id == subject_id:
        return Visibility(levels=ALL_LEVELS, own=True)
    today = today or timezone.localdate()
    if reader.agency_id is not None:
        auth = (prepared.fetchone(VALID_AUTHORIZATION_SQL, [subject_id, reader.agency_id, today, today])
                if authorization is _UNREAD else authorization)
        if auth is not None:
            return Visibility(levels=AUTHORIZED_LEVELS, authorization_id=auth[0], purpose=auth[1])
    if reader.kind == "officer" and reader.matter:
        if not reader.purpose.strip():
            raise InvalidInput("依政务应用清单查询须说明查询用途", field="purpose")
        matter = Matter.objects.filter(code=reader.matter, published=True).first()
        if matter is None:
            raise NotFound("政务应用清单中没有该事项", field="matter")
        if matter.department_id != reader.department_id:
            raise NotPermitted("该事项不属于本部门，不能据此查询", field="matter")
        codes = frozenset(matter.entries.values_list("code", flat=True))
        return Visibility(levels=ALL_LEVELS, entries=codes, matter_id=matter.pk, purpose=reader.purpose.strip())
    return PUBLIC_ONLY


def sees_full_identity(vis: Visibility) -> bool:
    """Whether a person's full resident ID number and name may be shown (only to the person)."""
    return vis.own


def _user_reader(user: object, *, channel: str, matter: str, purpose: str) -> Reader:
    if not getattr(user, "is_authenticated", False):
        return Reader(channel=channel)
    role = str(getattr(user, "role", "public"))
    return Reader(
        kind=role, name=str(getattr(user, "username", "")), user_id=getattr(user, "pk", None),
        subject_id=getattr(user, "subject_id", None) if role == "subject" else None,
        # an organisation's account reads others under the authorisations its organisation holds
        agency_id=getattr(user, "subject_id", None) if role in ("subject", "agency") else None,
        department_id=getattr(user, "department_id", None),
        matter=matter if role == "officer" else "", purpose=purpose, channel=channel,
    )


def edge_parameters(request: HttpRequest) -> tuple[str, str, str | None]:
    """What a request says about its reader, checked in this order: ``matter`` and ``purpose`` from
    the query string (officers naming their matter; InvalidInput for a NUL), then the API token of
    an ``Authorization: Bearer`` header (None without the header; NotPermitted for another scheme)."""
    matter = one_line(request.GET.get("matter"), field="matter")[:60]
    purpose = one_line(request.GET.get("purpose"), field="purpose")[:200]
    header = request.headers.get("Authorization", "")
    if not header:
        return matter, purpose, None
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer":
        raise NotPermitted("Authorization 头应为 Bearer 令牌")
    return matter, purpose, secret.strip()


def reader_for_owner(owner: TokenOwner, *, matter: str, purpose: str, channel: str) -> Reader:
    """The reader an authenticated API token speaks for: a department's officer, or an organisation."""
    if owner.department_id is not None:
        return Reader(kind="officer", name=f"dept:{owner.department_code}", department_id=owner.department_id,
                      matter=matter, purpose=purpose, channel=channel)
    return Reader(kind="agency", name=f"agency:{owner.agency_id}", agency_id=owner.agency_id, purpose=purpose,
                  channel=channel, agency_name=owner.agency_name)


def reader_for_request(request: HttpRequest, *, channel: str) -> Reader:
    """Build the reader from a request: an API token (``Authorization: Bearer``), else the session.

    ``matter`` and ``purpose`` come from the query string (officers naming their matter).
    """
    matter, purpose, secret = edge_parameters(request)
    if secret is not None:
        from pubcredit.access import tokens

        return reader_for_owner(tokens.authenticate(secret), matter=matter, purpose=purpose, channel=channel)
    return _user_reader(getattr(request, "user", None), channel=channel, matter=matter, purpose=purpose)
