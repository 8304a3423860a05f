"""Bench-only Django site: portal.settings plus one ceiling view. Never used by the app."""
