# "5 de diciembre de 2026 a las 14:30 UTC"
TIME_FORMAT = "H:i T"
DATETIME_FORMAT = r"j \d\e F \d\e Y \a \l\a\s H:i T"
SHORT_DATETIME_FORMAT = "d/m/Y H:i T"
