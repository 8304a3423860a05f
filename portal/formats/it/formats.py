# "5 Dicembre 2026 14:30": Django's Italian formats write a leading zero ("05") and start the long form
# with the weekday, which reads oddly in the middle of a sentence ("entro il sabato 05 dicembre 2026").
DATE_FORMAT = "j F Y"
DATETIME_FORMAT = "j F Y H:i"
