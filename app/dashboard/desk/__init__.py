"""The check-in desk: scans, find-by-name, the running count."""
