"""A page whose database connection is cut under it (a database failover or restart, a pooler or
firewall dropping connections, an operator's pg_terminate_backend) runs again on a new connection,
up to RUNS times in all, instead of showing the visitor a server error.

Only for pages that are safe to run twice: reading pages, and the two public steps a rights
holder takes — filing (a second run with the form's one-time key finds the notice the first one
filed, and the files it kept are not kept again) and confirming (confirming twice is harmless).
The workflow's transactions roll back whole when their connection is cut, so a second run never
meets half a change. A cut that happens again in the last run is shown as the error it is.
"""

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.db import InterfaceError, OperationalError, connection
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from psycopg import pq

logger = logging.getLogger(__name__)

View = Callable[..., HttpResponseBase]

# The first run and two more: a cut often comes in a burst (a pooler recycling, an operator terminating
# a database's sessions in rounds), and bench/faults saw a second run cut again on a loaded machine.
RUNS = 3


def once_more_if_disconnected(view: View) -> View:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        for run in range(1, RUNS):
            try:
                return view(request, *args, **kwargs)
            except (OperationalError, InterfaceError) as exc:
                if connection.in_atomic_block or not connection_lost(exc):
                    raise  # an error of the query itself, or inside a caller's transaction: not ours to repeat
                logger.warning("database connection lost during %s %s (run %d of %d); running it again on a "
                               "new one", request.method, request.path, run, RUNS)
                connection.close()
        return view(request, *args, **kwargs)
    return wrapper


# PostgreSQL's SQLSTATE for a lost connection: class 08 (connection exception), and the server
# shutting the session down (57P01 admin shutdown: pg_terminate_backend; 57P02 crash; 57P03 starting).
_SHUTDOWN = {"57P01", "57P02", "57P03"}


def connection_lost(exc: Exception) -> bool:
    """Whether `exc` says the connection itself went away, not that a query failed on it. Django
    reconnects as soon as a transaction block closes on a dead connection, so the error's own
    account (its SQLSTATE, the state of the connection it came from) is what tells."""
    if isinstance(exc, InterfaceError):  # "connection already closed"
        return True
    cause = exc.__cause__
    sqlstate = getattr(cause, "sqlstate", None) or ""
    if sqlstate.startswith("08") or sqlstate in _SHUTDOWN:
        return True
    pgconn = getattr(cause, "pgconn", None)
    if pgconn is not None and pgconn.status != pq.ConnStatus.OK:
        return True
    return not still_connected()


def still_connected() -> bool:
    """A failed query leaves its connection usable; a cut one does not."""
    return connection.connection is not None and connection.is_usable()
