# Mindgap's image: the app (mindgap serve) and, with another command, the job worker.
#   docker build -t mindgap .
#   docker compose up          (compose.yaml: app, worker, PostgreSQL, Redis, Mailpit)

# --- build: a wheel of Mindgap and its dependencies, installed into a virtual environment
FROM python:3.11-slim-bookworm AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
RUN python -m venv /opt/mindgap
COPY constraints/ constraints/
COPY pyproject.toml README.md LICENSE ./
COPY survey/ survey/
COPY analysis/ analysis/
COPY instruments/ instruments/
COPY templates/ templates/
COPY migrations/ migrations/
# The production constraints pin every package to the versions the suite last passed with.
RUN /opt/mindgap/bin/pip install --constraint constraints/production.txt .

# --- run: only the virtual environment, the system libraries WeasyPrint needs, and fonts
FROM python:3.11-slim-bookworm
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*
RUN useradd --system --create-home --home-dir /var/lib/mindgap --uid 10001 mindgap \
 && mkdir -p /var/lib/mindgap/instance /run/mindgap-metrics \
 && chown -R mindgap:mindgap /var/lib/mindgap /run/mindgap-metrics
COPY --from=build /opt/mindgap /opt/mindgap
ENV PATH=/opt/mindgap/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    MINDGAP_INSTANCE_PATH=/var/lib/mindgap/instance \
    PROMETHEUS_MULTIPROC_DIR=/run/mindgap-metrics \
    MINDGAP_LOG_FORMAT=json
USER mindgap
WORKDIR /var/lib/mindgap
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD python -c "import urllib.request, sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status != 200)"
CMD ["mindgap", "serve", "--host", "0.0.0.0", "--port", "8000"]
