"""docker-compose.yml cannot be run here (no container engine), so its structure is checked,
and every command it runs is checked against the project."""
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.core.management import get_commands

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
APP_SERVICES = [name for name, service in SERVICES.items() if service.get("build")]


def test_the_stack_has_every_part():
    assert {"postgres", "redis", "rabbitmq", "migrate", "web1", "web2", "sockets1", "sockets2", "worker", "nginx"} <= set(
        SERVICES
    )


def test_the_broker_is_rabbitmq():
    """It returns a killed worker's task at once; Redis only after its visibility timeout (docs/reliability.md)."""
    for name in APP_SERVICES:
        assert SERVICES[name]["environment"]["CELERY_BROKER_URL"].startswith("amqp://learnwell:learnwell@rabbitmq:")
    rabbit = SERVICES["rabbitmq"]["environment"]
    assert (rabbit["RABBITMQ_DEFAULT_USER"], rabbit["RABBITMQ_DEFAULT_PASS"]) == ("learnwell", "learnwell")


@pytest.mark.parametrize("name", list(SERVICES))
def test_every_service_has_a_health_check(name):
    health = SERVICES[name]["healthcheck"]
    assert health["test"] and health["test"][0] in ("CMD", "CMD-SHELL")


def test_the_app_waits_for_migrations_and_its_backing_services():
    assert SERVICES["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in ("web1", "web2", "sockets1", "sockets2", "worker"):
        depends = SERVICES[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully"
        assert depends["redis"]["condition"] == "service_healthy"
        assert depends["rabbitmq"]["condition"] == "service_healthy"
    assert {"web1", "web2", "sockets1", "sockets2"} <= set(SERVICES["nginx"]["depends_on"])


def test_app_services_read_only_settings_the_project_knows():
    config_text = "".join(path.read_text() for path in (ROOT / "config").glob("*.py"))
    for name in APP_SERVICES:
        for variable in SERVICES[name]["environment"]:
            assert f'"{variable}"' in config_text, f"{name} sets {variable}, which config/ never reads"


def test_the_stack_will_not_start_without_secrets_of_your_own():
    environment = COMPOSE["x-app"]["environment"]
    for name in ("DJANGO_SECRET_KEY", "CHANNEL_LAYER_ENCRYPTION_KEY", "PAYMENT_WEBHOOK_SECRET"):
        assert re.fullmatch(rf"\$\{{{name}:\?.+\}}", environment[name]), f"{name} must be required (${{{name}:?...}})"


@pytest.mark.parametrize("name", APP_SERVICES)
def test_every_app_command_exists_in_the_project(name):
    command = SERVICES[name]["command"]
    program = command[0]
    if command[:3] == ["python", "-m", "realtime.server"]:
        module, attribute = command[-1].split(":")
        assert (ROOT / "realtime" / "server.py").exists()
        assert (ROOT / f"{module}.py").exists() and f"\n{attribute} = " in (ROOT / f"{module}.py").read_text()
    elif program == "python":
        assert command[1] == "manage.py" and command[2] in get_commands()
    elif program == "gunicorn":
        module, attribute = command[1].split(":")
        path = ROOT / f"{module.replace('.', '/')}.py"
        assert path.exists() and f"\n{attribute} = " in path.read_text()
        assert shutil.which("gunicorn", path=str(Path(__import__("sys").executable).parent))
    elif program == "celery":
        assert command[1:3] == ["-A", "config"] and (ROOT / "config" / "celery.py").exists()
        assert command[3] == "worker"
    else:
        pytest.fail(f"{name} runs {program}, which this test does not know")


@pytest.mark.django_db
def test_health_checks_use_endpoints_the_project_serves(client):
    probe = " ".join(SERVICES["web1"]["healthcheck"]["test"])
    path = re.search(r"http://127\.0\.0\.1:8000(/\w+)", probe).group(1)
    assert client.get(path).status_code in (200, 503)  # served (503 only if a dependency is down)


def test_nginx_sends_sockets_to_the_socket_servers_and_the_rest_to_the_web_servers():
    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    routes = (ROOT / "deploy" / "nginx-routes.conf").read_text()
    sockets = conf[conf.index("upstream sockets"):conf.index("}", conf.index("upstream sockets"))]
    web = conf[conf.index("upstream web"):conf.index("}", conf.index("upstream web"))]
    assert "server sockets1:8000" in sockets and "server sockets2:8000" in sockets
    assert "server web1:8000" in web and "server web2:8000" in web
    assert "proxy_pass http://sockets;" in routes[routes.index("location /ws/"):routes.index("location / {")]
    assert "proxy_pass http://web;" in routes[routes.index("location / {"):]
    assert "proxy_set_header Upgrade $http_upgrade;" in routes
    assert "proxy_set_header Connection $connection_upgrade;" in routes
    assert routes.count("proxy_set_header X-Forwarded-Proto $scheme;") == 2, "Django trusts it (DJANGO_SECURE)"
    mounts = {volume.split(":")[1]: volume.split(":")[0] for volume in SERVICES["nginx"]["volumes"]}
    assert (ROOT / mounts["/etc/nginx/conf.d/default.conf"]).resolve() == (ROOT / "deploy" / "nginx.conf").resolve()
    assert (ROOT / mounts["/etc/nginx/learnwell/routes.conf"]).resolve() == (ROOT / "deploy" / "nginx-routes.conf").resolve()


def test_the_public_entry_is_tls_only_and_keeps_operations_inside():
    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    servers = conf.split("\nserver {")[1:]
    plain, public, internal = servers
    assert "listen 80;" in plain and "return 301 https://" in plain and "proxy_pass" not in plain
    assert "listen 443 ssl;" in public
    for route in ("location = /metrics", "location /support/", "location /api/v1/support/", "location /ws/support/",
                  "location /admin/"):
        assert f"{route} {{ return 404; }}" in public, route
    assert "listen 8443 ssl;" in internal and "return 404" not in internal
    assert "127.0.0.1:8443:8443" in SERVICES["nginx"]["ports"], "the staff entry is published on loopback only"
    assert SERVICES["web1"]["environment"]["DJANGO_SECURE"] == "1"


def test_the_nginx_configuration_is_valid(tmp_path):
    """nginx -t on the real files, the service names pointed at this machine and a throwaway certificate."""
    import subprocess

    from devstack.node import nginx_binary  # make test installs nginx (scripts/system-deps.sh)

    nginx = nginx_binary()
    (tmp_path / "tls").mkdir()
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                    "-keyout", str(tmp_path / "tls" / "key.pem"), "-out", str(tmp_path / "tls" / "cert.pem")],
                   check=True, capture_output=True)
    site = (ROOT / "deploy" / "nginx.conf").read_text()
    for host in ("sockets1", "sockets2", "web1", "web2"):
        site = site.replace(f"server {host}:", "server 127.0.0.1:")
    site = site.replace("/etc/nginx/tls/", f"{tmp_path}/tls/").replace(
        "/etc/nginx/learnwell/routes.conf", str(ROOT / "deploy" / "nginx-routes.conf"))
    for port in ("80", "443", "8443"):
        site = site.replace(f"listen {port}", f"listen 127.0.0.1:{int(port) + 50000 - (40000 if port == '80' else 0)}")
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid; error_log {tmp_path}/error.log; events {{}}\n"
        f"http {{ access_log off; client_body_temp_path {tmp_path}; proxy_temp_path {tmp_path}; {site} }}\n"
    )
    run = subprocess.run([nginx, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr


def test_the_image_is_built_from_the_project():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "COPY pyproject.toml uv.lock" in dockerfile and "asgi:application" in dockerfile


@pytest.mark.any_database
def test_the_image_installs_runtime_dependencies_only_and_the_project_starts_on_them(tmp_path):
    """The Dockerfile's install, run the same way into a fresh environment (no engine runs here)."""
    found = re.search(r"uv sync ([^&\n]+)", (ROOT / "Dockerfile").read_text())
    assert found, "the Dockerfile does not install with uv sync"
    flags = found.group(1).split()
    assert "--frozen" in flags and "--no-default-groups" in flags
    for name in ("pyproject.toml", "uv.lock"):  # all the image has when it installs
        shutil.copy(ROOT / name, tmp_path)
    image = tmp_path / "image-venv"
    env = {name: value for name, value in os.environ.items() if not name.startswith(("DJANGO_", "VIRTUAL_ENV"))}
    subprocess.run([Path(sys.executable).parent / "uv", "sync", *flags, "--python", sys.executable, "--quiet"],
                   cwd=tmp_path, env={**env, "UV_PROJECT_ENVIRONMENT": str(image)}, check=True, timeout=300)

    installed = {path.name.split("-")[0].lower() for path in image.glob("lib/python*/site-packages/*.dist-info")}
    assert {"django", "channels", "daphne", "gunicorn", "celery"} <= installed
    assert not installed & {"pytest", "playwright", "matplotlib", "hypothesis", "schemathesis", "mypy", "ruff", "uv"}
    started = subprocess.run(
        [image / "bin" / "python", "manage.py", "shell", "-c",
         "import asgi, config.wsgi, realtime.server, commerce.tasks, realtime.management.commands.dashboard_watch"],
        cwd=ROOT, env={**env, "DJANGO_DEBUG": "1"}, capture_output=True, text=True, timeout=120,
    )
    assert started.returncode == 0, started.stderr


def test_socket_servers_are_given_time_to_drain():
    """Docker's default (10 s) would SIGKILL a socket server mid-drain (window 10 s plus grace 5 s)."""
    from django.conf import settings

    drain = settings.REALTIME_DRAIN_SECONDS + settings.REALTIME_DRAIN_GRACE_SECONDS
    for name in ("sockets1", "sockets2"):
        assert int(SERVICES[name]["stop_grace_period"].rstrip("s")) > drain


def idle_seconds(text: str, pattern: str) -> int:
    found = re.search(pattern, text)
    assert found, f"{pattern} not in {text}"
    return int(found.group(1))


def test_gunicorn_keeps_an_idle_connection_longer_than_nginx_does(tmp_path):
    """nginx reuses its connections to gunicorn; were gunicorn to close an idle one first, a POST
    sent on it would fail and nginx would not retry it: the learner would get a 502."""
    from devstack import node

    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    web = conf[conf.index("upstream web"):conf.index("}", conf.index("upstream web"))]
    compose_gunicorn = SERVICES["web1"]["command"]
    assert "keepalive " in web
    assert int(compose_gunicorn[compose_gunicorn.index("--keep-alive") + 1]) > idle_seconds(web, r"keepalive_timeout (\d+)s;")

    generated = node.nginx_config(8000, 8001, [8002], tmp_path, tmp_path / "nginx.log")
    upstream = generated[generated.index("upstream web"):generated.index("}", generated.index("upstream web"))]
    assert "server 127.0.0.1:8001;" in upstream and "keepalive " in upstream
    assert "proxy_pass http://web;" in generated
    argv = node.gunicorn_argv(8001, {})
    assert int(argv[argv.index("--keep-alive") + 1]) > idle_seconds(upstream, r"keepalive_timeout (\d+)s;")
