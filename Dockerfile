# One image for every ConvoScope service; compose.yaml picks the service by its command
# (`python -m convoscope_<service>`).

# --- build: install the packages into a virtualenv that the runtime stage copies ---
FROM python:3.11-slim AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/convoscope
ENV PATH=/opt/convoscope/bin:$PATH

WORKDIR /src
COPY libs/common libs/common
COPY services services
# One pip call, so every service's `convoscope-common` requirement resolves to the local path.
RUN pip install \
        ./libs/common \
        ./services/gateway \
        ./services/ingest \
        ./services/analyzer \
        ./services/exporter

# --- runtime: the virtualenv, a non-root user, no build tools ---
FROM python:3.11-slim AS runtime

# Fixed ids so volume ownership and Kubernetes runAsUser stay stable across rebuilds.
RUN groupadd --system --gid 10001 convoscope \
    && useradd --system --uid 10001 --gid convoscope --no-create-home \
        --home-dir /nonexistent --shell /usr/sbin/nologin convoscope

# A CJK TrueType font for the PDF reports (the Noto fonts for other scripts come with pip).
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-droid-fallback \
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
