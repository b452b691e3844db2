"""Limits on what the public can make the service do: request rates per client
address, e-mail per recipient, and the client address itself (behind proxies)."""
