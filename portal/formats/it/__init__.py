"""Italian: Django's formats without the weekday."""
