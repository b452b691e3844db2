FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /srv/rsvp

COPY pyproject.toml README.md alembic.ini ./
COPY app ./app
COPY migrations ./migrations
RUN pip install --no-cache-dir -e . \
    && useradd --system --home /srv/rsvp rsvp \
    && mkdir -p /srv/rsvp/.data && chown rsvp /srv/rsvp/.data
USER rsvp

EXPOSE 8000
HEALTHCHECK CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz')"
# Each start brings the schema up to date and creates the bundled event if it is missing;
# `--if-missing` leaves an existing event as organisers edited it (a plain `rsvp seed`
# would set it back to the file's values). Change an event on the dashboard, or run
# `rsvp seed` by hand.
CMD ["sh", "-c", "rsvp migrate && rsvp seed --if-missing && rsvp serve --host 0.0.0.0 --port 8000"]
