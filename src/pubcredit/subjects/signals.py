"""Subject events for other apps to follow (subjects imports none of them).

Every receiver gets ``subject`` and ``actor`` keyword arguments; sent inside the writer's transaction.
"""

from __future__ import annotations

from django.dispatch import Signal

#: A subject's name changed through ``subjects.services.rename`` (``old_name``, ``new_name``).
subject_renamed = Signal()
