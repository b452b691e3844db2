"""Events: look-up, organisers' changes, seats and the waitlist, stats, seeding from a file."""
