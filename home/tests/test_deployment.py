"""The deployment files stay valid: compose configuration, NGINX routes, the X-Accel backend."""

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


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
