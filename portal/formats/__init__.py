"""Date and time formats that differ from Django's for a language (settings.FORMAT_MODULE_PATH).

Every time shown says its time zone ("T": "UTC", "CET"): the site counts deadlines in UTC and in
other zones (a counter-notice's restore date in the marketplace's US zone), and a submitter in
Shanghai or a seller in Berlin cannot tell from "23:59" alone when a deadline falls. English is written
the European way ("5 Dec 2026, 14:30 UTC"), with a 24-hour clock, for a marketplace whose users are
mostly in the EU and Asia. What a language's module leaves out, Django's own formats give."""
