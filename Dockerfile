# The one image every Python service of docker-compose.yml runs.
FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 UV_PROJECT_ENVIRONMENT=/opt/venv PATH=/opt/venv/bin:$PATH
WORKDIR /app
# Runtime dependencies only, from the lock file (hashes checked): no test, bench or lint tools.
COPY pyproject.toml uv.lock ./
RUN pip install uv==0.13.9 && uv sync --frozen --no-default-groups && pip uninstall -y uv
COPY . .
RUN useradd --create-home app && mkdir -p var && chown -R app var
USER app
EXPOSE 8000
# A socket server; docker-compose.yml runs the web servers and workers from the same image.
CMD ["python", "-m", "realtime.server", "-b", "0.0.0.0", "-p", "8000", "--websocket-max-message-size", "65536", "asgi:application"]
