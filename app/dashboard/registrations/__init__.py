"""The registrations table, a registration's page, and the actions on them."""
