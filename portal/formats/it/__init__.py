"""Italian: Django's formats without the weekday and the leading zero."""
