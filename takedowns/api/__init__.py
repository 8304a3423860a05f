"""The professional notifiers' JSON API (issue 15): django-ninja, the OpenAPI 3 document generated from the code."""
