"""The protection list: what listing screening reads of the verified rights (brand terms, price ranges,
authorised sellers, pictures of the genuine product). The registry calls right_verified / right_changed /
right_withdrawn when a right enters, changes on or leaves the list."""

from datetime import datetime

from takedowns.models import Right


def right_verified(right: Right, now: datetime) -> None:
    """A right joined the protection list (or its details changed while on it): its reference pictures
    are fingerprinted and every process's term automaton is rebuilt on its next screening."""


def right_withdrawn(right: Right, now: datetime) -> None:
    """A right left the protection list (withdrawn, or found invalid): screening no longer reads it."""
