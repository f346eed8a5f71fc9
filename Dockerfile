# syntax=docker/dockerfile:1
# Linked in one image: `linked serve` (the default command), `linked worker`,
# `linked db upgrade` and every other `linked` command. docker-compose.yml runs it with
# PostgreSQL and Mailpit; see docs/docker-compose.md.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Install Linked and its pinned dependencies (not editable) from a throwaway copy.
WORKDIR /tmp/linked-build
COPY pyproject.toml README.md ./
COPY linked ./linked
RUN pip install --no-cache-dir . && rm -rf /tmp/linked-build

# The project root: editions/, templates/ and subscribers/, as with `linked --root`.
WORKDIR /srv/linked
# The installed package carries Linked's own templates; a project's templates/ (bind-mounted
# here) overrides them file by file.
COPY templates ./templates

# An unprivileged user; uid 1000 is usually the host user who owns bind-mounted folders.
RUN useradd --uid 1000 --user-group --create-home --shell /usr/sbin/nologin linked \
    && mkdir -p editions subscribers \
    && chown linked:linked editions subscribers
USER linked

VOLUME ["/srv/linked/editions", "/srv/linked/templates", "/srv/linked/subscribers"]
EXPOSE 8000

# slim has no curl: ask /healthz with urllib. A 503 raises HTTPError, so the exit is 1.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status != 200)"]

CMD ["linked", "serve", "--host", "0.0.0.0", "--port", "8000"]
