"""Invitations (RSVP): organisers invite named people, who accept (with named
companions), decline or send a delegate through a personal link; pending
invitations hold seats until their deadline."""
