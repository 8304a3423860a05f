"""A page whose database connection is cut under it (a database failover or restart, a pooler or
firewall dropping connections, an operator's pg_terminate_backend) runs once more on a new
connection, instead of showing the visitor a server error.

Only for pages that are safe to run twice: reading pages, and the two public steps a rights
holder takes — filing (a second run with the form's one-time key finds the notice the first one
filed, and the files it kept are not kept again) and confirming (confirming twice is harmless).
The workflow's transactions roll back whole when their connection is cut, so a second run never
meets half a change. A cut that happens again in the second run is shown as the error it is.
"""

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.db import InterfaceError, OperationalError, connection
from django.http import HttpRequest
from django.http.response import HttpResponseBase

logger = logging.getLogger(__name__)

View = Callable[..., HttpResponseBase]


def once_more_if_disconnected(view: View) -> View:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            return view(request, *args, **kwargs)
        except (OperationalError, InterfaceError):
            if connection.in_atomic_block or still_connected():
                raise  # an error of the query itself, or inside a caller's transaction: not ours to repeat
            logger.warning("database connection lost during %s %s; running it once more on a new one",
                           request.method, request.path)
            connection.close()
            return view(request, *args, **kwargs)
    return wrapper


def still_connected() -> bool:
    """A failed query leaves its connection usable; a cut one does not."""
    return connection.connection is not None and connection.is_usable()
