"""Simplified Chinese: Django's formats with the time zone."""
