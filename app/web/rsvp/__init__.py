"""The invitee's RSVP pages (`/i/{token}`): the invitation, accept, decline, delegate."""
