"""English dates as the portal has always written them (the statements, deadlines and e-mails pinned by
the tests): "5 December 2026" and "5 December 2026, 14:00" on a 24-hour clock, the time zone named after
it, instead of Django's US defaults ("Dec. 5, 2026, 2 p.m."). Every other language keeps Django's own
locale formats (FORMAT_MODULE_PATH falls back to them)."""

DATE_FORMAT = "j F Y"
DATETIME_FORMAT = "j F Y, H:i"
SHORT_DATE_FORMAT = "j M Y"
SHORT_DATETIME_FORMAT = "j M Y, H:i"
