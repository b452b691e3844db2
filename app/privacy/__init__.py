"""The registrant's address and data: confirming the address before a sign-up takes a
place (double opt-in), downloading everything held about them, and erasing it."""
