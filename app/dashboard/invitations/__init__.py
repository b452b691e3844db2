"""The invitations pages: the list, one invitation, creating one or importing a CSV file."""
