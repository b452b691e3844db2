"""Substitution: a registrant passes their place to a colleague, from their manage link."""
