# "05 dicembre 2026 14:30": Django's Italian long format starts with the weekday, which reads oddly in
# the middle of a sentence ("entro il sabato 05 dicembre 2026").
DATETIME_FORMAT = "d F Y H:i"
