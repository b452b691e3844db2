"""An event's overview: its figures, charts drawn on the server, and their live refresh."""
