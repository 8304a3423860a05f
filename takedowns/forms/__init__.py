"""Every input the portal takes is parsed and validated here, and nowhere else: a form says what is
wrong beside the field, the view shows the page again with status 400 and everything typed kept.

public.py   the rights holder's: the notice, an answer, withdrawing, a lawsuit; the catalogue's search
seller.py   the counter-notice and the appeal (the submitter's appeal takes the same form)
review.py   the reviewer's: decisions, escalating, reassigning, the queue's filters, checks, appeals
leads.py    the dashboard's period and the Transparency Database export's ids
accounts.py the log-in's second step: a code of the authenticator app or a recovery code
"""
