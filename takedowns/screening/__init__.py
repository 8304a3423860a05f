"""Listing screening (issue 14): each new or changed listing checked against the protection list (verified
rights' brand terms, price ranges, pictures of the genuine product, authorised sellers) and against the
fingerprints of removed listings (stay-down), before it goes live. This package decides and reads only;
takedowns/workflow/screening.py records the outcome and opens the own-initiative case."""
