"""English dates, written the European way with a 24-hour clock and the time zone."""
