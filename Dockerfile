# attention-bot in a container: `run --http` (Slack's HTTP mode with the web pages beside it) by
# default, or `serve` for the pages alone. State lives in /data (mount a volume there).
#
#   docker build -t attention-bot .
#   docker run -d --env-file .env -p 3000:3000 -v attention-data:/data attention-bot
#   docker run -d --env-file .env -p 3000:3000 -v attention-data:/data attention-bot serve
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    ATTENTION_DB=/data/attention.db \
    PORT=3000

WORKDIR /app
COPY pyproject.toml README.md ./
COPY core core
COPY sources sources
COPY storage storage
COPY handlers handlers
COPY bot bot
COPY bench bench
RUN pip install . \
    && useradd --system --uid 10001 --user-group --home-dir /data --create-home --shell /usr/sbin/nologin attention

# Never root: the bot needs nothing but its database and the network.
USER attention
WORKDIR /data
VOLUME ["/data"]
EXPOSE 3000

HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '3000'), timeout=4)"]

ENTRYPOINT ["attention-bot"]
CMD ["run", "--http"]
