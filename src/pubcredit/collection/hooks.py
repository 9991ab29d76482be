"""Collection's receivers of other apps' signals (connected in ``CollectionConfig.ready``)."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from pubcredit.collection import services
from pubcredit.subjects import signals
from pubcredit.subjects.models import Subject


@receiver(signals.subject_renamed, dispatch_uid="collection-close-name-reviews")
def close_name_reviews(sender: Any, *, subject: Subject, new_name: str, actor: str, **_: Any) -> None:
    """A renamed subject's open name reviews are closed: its name has been decided."""
    services.close_reviews_on_rename(subject, new_name=new_name, actor=actor)
