"""Italian: Django's formats with the time zone, without the weekday."""
