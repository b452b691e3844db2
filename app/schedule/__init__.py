"""The durable scheduler: rows with a due time in the database, done once by whichever
e-mail worker claims them (reminders, the daily retention run), and the durations
organisers give reminders in."""
