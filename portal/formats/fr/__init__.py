"""French: Django's formats with the time zone."""
