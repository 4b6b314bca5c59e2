# One image for every ConvoScope service; compose.yaml picks the service by its command
# (`python -m convoscope_<service>`).

# --- build: install exactly the locked runtime set into a virtualenv that the runtime stage copies ---
FROM python:3.11-slim AS build

# uv, pinned; it installs from uv.lock only (--frozen: no resolver at build time).
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/opt/convoscope \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_NO_CACHE=1
RUN python -m venv /opt/uv && /opt/uv/bin/pip install uv==0.13.9

WORKDIR /src
COPY pyproject.toml uv.lock ./
COPY libs/common libs/common
COPY services services
COPY stack stack
COPY cli cli
# The four services and their shared library; no development tools, no launcher.
RUN /opt/uv/bin/uv sync --frozen --no-dev --no-editable --python python3 \
        --package convoscope-gateway \
        --package convoscope-ingest \
        --package convoscope-analyzer \
        --package convoscope-exporter

# --- runtime: the virtualenv, a non-root user, no build tools ---
FROM python:3.11-slim AS runtime

# Fixed ids so volume ownership and Kubernetes runAsUser stay stable across rebuilds.
RUN groupadd --system --gid 10001 convoscope \
    && useradd --system --uid 10001 --gid convoscope --no-create-home \
        --home-dir /nonexistent --shell /usr/sbin/nologin convoscope

# CJK TrueType fonts for the PDF reports: Droid for Han and kana, WenQuanYi Zen Hei also
# for Hangul (the Noto fonts for other scripts come with pip).
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-droid-fallback fonts-wqy-zenhei \
    && rm -rf /var/lib/apt/lists/*

COPY --from=build /opt/convoscope /opt/convoscope
COPY deploy/docker/healthcheck.py /opt/convoscope/healthcheck.py

ENV PATH=/opt/convoscope/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    CONVOSCOPE_HOST=0.0.0.0 \
    CONVOSCOPE_LOG_FORMAT=json

WORKDIR /tmp
USER 10001:10001

# 5000: gateway HTTP (REST, Socket.IO, /metrics); 9100: worker /metrics.
EXPOSE 5000 9100

# Probes the gateway's /api/health, or a worker's /metrics when CONVOSCOPE_METRICS_PORT is set.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "/opt/convoscope/healthcheck.py"]

CMD ["python", "-m", "convoscope_gateway"]
