# gatewaysim: the gateway, the demo backend and the example authorizer service share this image.
#   docker compose up --build          (see docker-compose.yml and docs/compose-walkthrough.md)
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY gatewaysim ./gatewaysim
# gatewaysim/data/examples is a link to config/examples: the examples ship as package data (`gatewaysim init`)
COPY config ./config
RUN pip install . && rm -rf /src
COPY config /config
WORKDIR /config
USER nobody
EXPOSE 8080
# The same command docker-compose.yml's `gateway` service runs (tests/examples/test_compose.py runs it too).
CMD ["gatewaysim", "serve", "--config", "/config/compose.yaml", "--host", "0.0.0.0"]
