"""Date and time formats that differ from Django's for a language (settings.FORMAT_MODULE_PATH); what a
language's module leaves out, Django's own locale formats give.

The formats carry no time zone: a template names it after the time (`|date:"e"`), as deadlines are
counted in more than one zone (a counter-notice's restore date in the marketplace's US zone)."""
