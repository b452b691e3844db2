"""Organisers' broadcasts: one e-mail to each registrant matching the list's filters."""
