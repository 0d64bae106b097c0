"""The deployment files stay valid: compose configuration, NGINX routes, the X-Accel backend."""

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("docker-compose") is None, reason="needs Debian's docker-compose")
def test_docker_compose_file_is_valid_with_the_example_environment(tmp_path):
    for name in ("docker-compose.yml", "Dockerfile"):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / "docker", tmp_path / "docker")
    shutil.copy(ROOT / ".env.example", tmp_path / ".env")
    result = subprocess.run(
        ["docker-compose", "config", "-q"], cwd=tmp_path, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    services = subprocess.run(
        ["docker-compose", "config", "--services"], cwd=tmp_path, capture_output=True, text=True
    ).stdout.split()
    assert {"db", "redis", "migrate", "web", "ws", "nginx"} <= set(services)


def test_nginx_routes_websockets_to_daphne_and_never_serves_documents_directly():
    conf = (ROOT / "docker" / "nginx.conf").read_text()
    assert "location /ws/" in conf and "proxy_pass http://learning_ws;" in conf
    assert "location /media/ { return 404; }" in conf
    protected = conf.split("location /protected-media/")[1].split("}")[0]
    assert "internal;" in protected


def test_nginx_sendfile_backend_answers_with_an_internal_redirect(rf, tmp_path, settings):
    from home.sendfile_nginx import sendfile

    settings.MEDIA_ROOT = tmp_path
    target = tmp_path / "documents" / "hand out.pdf"
    target.parent.mkdir()
    target.write_bytes(b"%PDF-1.4")
    response = sendfile(rf.get("/documents/1/hand-out.pdf"), str(target))
    assert response["X-Accel-Redirect"] == "/protected-media/documents/hand%20out.pdf"
    assert response.content == b""


def test_dockerfile_runs_as_a_non_root_user_with_a_health_check():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "USER 10001" in dockerfile
    assert "HEALTHCHECK" in dockerfile and "/healthz" in dockerfile
    assert "collectstatic" in dockerfile


def compose_service(name):
    """The lines of one service's block in docker-compose.yml (up to the next service)."""
    lines = (ROOT / "docker-compose.yml").read_text().splitlines()
    start = lines.index(f"  {name}:") + 1
    block = []
    for line in lines[start:]:
        if line.strip() and not line.startswith("    ") and not line.lstrip().startswith("#"):
            break
        block.append(line)
    return "\n".join(block)


def test_only_the_migrate_service_migrates_before_the_others_start():
    static = compose_service("static")
    assert "entrypoint: []" in static  # the image's entrypoint would migrate concurrently
    for name in ("web", "ws"):
        assert "service_completed_successfully" in compose_service(name)


def test_gunicorn_workers_keep_persistent_database_connections():
    assert "DATABASE_CONN_MAX_AGE" in compose_service("web")
    assert "DATABASE_CONN_MAX_AGE" not in compose_service("ws")


@pytest.mark.django_db
def test_a_form_posted_through_nginx_on_a_non_default_port_passes_the_csrf_check():
    """NGINX passes the Host header with its port; the browser's Origin carries the same port."""
    from django.test import Client, override_settings

    conf = (ROOT / "docker" / "nginx.conf").read_text()
    assert "proxy_set_header Host $host;" not in conf
    assert conf.count("proxy_set_header Host $http_host;") == 2

    browser = Client(enforce_csrf_checks=True)
    with override_settings(ALLOWED_HOSTS=["localhost"]):
        browser.get("/accounts/login/", HTTP_HOST="localhost:8080")
        response = browser.post(
            "/accounts/login/",
            {
                "username": "nobody",
                "password": "wrong",
                "csrfmiddlewaretoken": browser.cookies["csrftoken"].value,
            },
            HTTP_HOST="localhost:8080",
            HTTP_ORIGIN="http://localhost:8080",
        )
    assert response.status_code == 200  # the form with its error, not a 403 from CSRF
    assert b"CSRF" not in response.content


def test_the_image_has_the_postgresql_client_for_backups_and_never_the_backups():
    assert "postgresql-client" in (ROOT / "Dockerfile").read_text()
    assert "backups" in (ROOT / ".dockerignore").read_text().split()


def test_the_cache_may_evict_and_the_channel_layer_never_does():
    cache = compose_service("redis")
    assert "--maxmemory" in cache and "allkeys-lru" in cache
    channels = compose_service("redis-channels")
    assert "--maxmemory" in channels and "noeviction" in channels
    for name in ("web", "ws"):
        assert (
            "redis-channels:6379" in compose_service(name)
            or "redis-channels:6379"
            in (ROOT / "docker-compose.yml").read_text().split("services:")[0]
        )  # ws takes the common environment


def test_each_gunicorn_runs_without_a_shared_control_socket():
    from scripts.serve import gunicorn_command

    assert "--no-control-socket" in gunicorn_command("127.0.0.1", 8000, 2)
    assert "--no-control-socket" in (ROOT / "Dockerfile").read_text()
    assert "--no-control-socket" in compose_service("web")


def test_the_channel_layer_reads_its_own_redis_url():
    import json
    import os
    import sys

    env = {
        **os.environ,
        "REDIS_URL": "redis://cache.example:6379/0",
        "CHANNEL_REDIS_URL": "redis://channels.example:6379/0",
    }
    script = (
        "import json, config.settings.base as s; print(json.dumps(["
        "s.CACHES['default']['LOCATION'], s.CHANNEL_LAYERS['default']['CONFIG']['hosts']]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    cache, [host] = json.loads(out.stdout)
    assert cache == "redis://cache.example:6379/0"
    assert host["address"] == "redis://channels.example:6379/0"
