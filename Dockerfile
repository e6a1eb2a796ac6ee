FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY ocpp ocpp
COPY schemas schemas
COPY ingest ingest
COPY processors processors
COPY projections projections
COPY api api
COPY infra infra
COPY csms csms
RUN pip install --no-cache-dir .
ENV CSMS_GATEWAY_HOST=0.0.0.0 CSMS_API_HOST=0.0.0.0
ENTRYPOINT ["csms"]
