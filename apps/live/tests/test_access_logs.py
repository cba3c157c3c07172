"""No credential from a socket's URL reaches a log: uvicorn's handshake lines (under gunicorn, as in
production, and in-process) and nginx's access lines for ``/ws/`` are written without the query."""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
import uvicorn
from django.conf import settings

from apps.live.tests.server import free_port

SECRET = "eyJhbGciOiJIUzI1NiJ9.c2VjcmV0LXBheWxvYWQ.c2lnbmF0dXJlLXNlY3JldA"
ROOT = Path(settings.BASE_DIR)


def _open_and_drop(url: str) -> None:
    from websockets.sync.client import connect

    with contextlib.suppress(Exception), connect(url, open_timeout=10) as socket:
        socket.recv(timeout=5)  # the server closes it (4404 / 4401)


@pytest.mark.django_db(transaction=True)
def test_uvicorn_handshake_lines_carry_no_query() -> None:
    """The line uvicorn writes per WebSocket handshake, from a real uvicorn serving the application."""
    from augeo.asgi import application

    port = free_port()
    config = uvicorn.Config(application, host="127.0.0.1", port=port, log_config=None, lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    captured: list[str] = []

    class Capture(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            captured.append(record.getMessage())

    logger = logging.getLogger("uvicorn.error")
    before = logger.level
    logger.setLevel(logging.INFO)
    handler = Capture()
    logger.addHandler(handler)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not server.started:
            assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
            time.sleep(0.05)
        _open_and_drop(f"ws://127.0.0.1:{port}/ws/nothing/?token={SECRET}")
        _open_and_drop(f"ws://127.0.0.1:{port}/ws/nothing/?ticket={SECRET}")
    finally:
        server.should_exit = True
        thread.join(timeout=20)
        logger.removeHandler(handler)
        logger.setLevel(before)
    handshakes = [line for line in captured if "WebSocket /ws/nothing/" in line]
    assert len(handshakes) == 2, captured
    assert all("/ws/nothing/?[REDACTED]" in line for line in handshakes)
    assert not any(SECRET in line for line in captured)


def test_the_websocket_service_under_gunicorn_writes_no_token(tmp_path: Path) -> None:
    """The production shape: ``gunicorn -c gunicorn.conf.py augeo.asgi:application`` with uvicorn
    workers, whose loggers get gunicorn's handlers. Its whole output (stderr) holds the handshake line
    without the query string."""
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "augeo.settings.test",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "1",
        # uvicorn's own worker class: the same logger wiring as the uvicorn-worker package's.
        "GUNICORN_WORKER_CLASS": "uvicorn.workers.UvicornWorker",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
        "DJANGO_LOG_JSON": "false",
        "DJANGO_LOG_LEVEL": "INFO",
    }
    env.pop("REDIS_URL", None)
    log = tmp_path / "service.log"
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    with log.open("w") as out:
        process = subprocess.Popen(
            [gunicorn, "-c", "gunicorn.conf.py", "augeo.asgi:application"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"http://127.0.0.1:{port}/health/live/", timeout=2).status_code == 200:
                    break
            assert process.poll() is None and time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(0.2)
        _open_and_drop(f"ws://127.0.0.1:{port}/ws/nothing/?token={SECRET}")
        _open_and_drop(f"ws://127.0.0.1:{port}/ws/nothing/?ticket={SECRET}")
        deadline = time.monotonic() + 10
        while log.read_text().count("WebSocket /ws/nothing/") < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:  # pragma: no cover - a stuck server
            os.killpg(process.pid, signal.SIGKILL)
    text = log.read_text()
    assert text.count('"WebSocket /ws/nothing/?[REDACTED]"') == 2, text[-3000:]
    assert SECRET not in text


# --- nginx --------------------------------------------------------------------------------------------

#: Variables that hold the query string (``$request`` is the whole request line, query included).
QUERY_VARIABLES = ("$request_uri", "$args", "$query_string", "$is_args", "$request ", '$request"', "$arg_")


def _scaleout_nginx_conf() -> str:
    """The config ``scripts/scaleout.sh`` writes (its ``nginx_conf`` function, run by bash)."""
    script = (ROOT / "scripts" / "scaleout.sh").read_text()
    function = re.search(r"^nginx_conf\(\) \{.*?^CONF\n\}", script, re.S | re.M)
    assert function is not None
    out = subprocess.run(
        ["bash", "-c", f"{function.group(0)}\nPORT_A=1 PORT_B=2 NGINX_PORT=3 nginx_conf /tmp/augeo-nginx-test"],
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout


def _config(name: str) -> str:
    return (ROOT / "deploy" / "nginx.conf").read_text() if name == "deploy/nginx.conf" else _scaleout_nginx_conf()


def _block(text: str, opening: str) -> str:
    """The body of the ``{ … }`` block that starts at ``opening``."""
    start = text.index(opening)
    depth, i = 0, text.index("{", start)
    for j in range(i, len(text)):
        depth += {"{": 1, "}": -1}.get(text[j], 0)
        if depth == 0:
            return text[i + 1 : j]
    raise AssertionError(f"unclosed block {opening}")


@pytest.mark.parametrize("name", ["deploy/nginx.conf", "scaleout.sh"])
def test_nginx_logs_websocket_requests_without_the_query(name: str) -> None:
    text = _config(name)
    uncommented = "\n".join(line.split("#", 1)[0] for line in text.splitlines())
    location = _block(uncommented, "location /ws/")
    used = re.search(r"access_log\s+\S+\s+(\w+)\s*;", location)
    assert used is not None, "the /ws/ location must name its access log format"
    definition = re.search(rf"log_format\s+{used.group(1)}\s+(.*?);", uncommented, re.S)
    assert definition is not None, f"log_format {used.group(1)} is not defined"
    fmt = definition.group(1) + " "
    assert "$uri" in fmt
    assert not [variable for variable in QUERY_VARIABLES if variable in fmt]


NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)


@pytest.mark.skipif(NGINX is None, reason="nginx not installed (scripts/scaleout.sh installs it)")
@pytest.mark.django_db(transaction=True)
def test_nginx_in_front_of_the_app_logs_the_socket_without_its_query() -> None:  # pragma: no cover - needs nginx
    """scripts/scaleout.sh's nginx config, run for real in front of an in-process uvicorn."""
    import tempfile

    from apps.live.tests.server import LiveServer

    assert NGINX is not None
    # Not under pytest's private tmp_path: nginx's workers (user nobody under root) must reach it.
    directory = Path(tempfile.mkdtemp(prefix="augeo-nginx-", dir="/tmp"))
    directory.chmod(0o755)
    with LiveServer() as server:
        port = free_port()
        script = _scaleout_nginx_conf()
        conf = script.replace("/tmp/augeo-nginx-test", str(directory))
        for upstream in ("127.0.0.1:1;", "127.0.0.1:2;"):
            conf = conf.replace(upstream, f"127.0.0.1:{server.port};")
        conf = conf.replace("listen 127.0.0.1:3;", f"listen 127.0.0.1:{port};")
        (directory / "nginx.conf").write_text(conf)
        args = [NGINX, "-p", str(directory), "-c", str(directory / "nginx.conf"), "-e", str(directory / "error.log")]
        subprocess.run(args, check=True, capture_output=True)
        try:
            _open_and_drop(f"ws://127.0.0.1:{port}/ws/nothing/?token={SECRET}")
            _open_and_drop(f"ws://127.0.0.1:{port}/ws/nothing/?ticket={SECRET}")
        finally:
            subprocess.run([*args, "-s", "stop"], capture_output=True)
        log = (directory / "access.log").read_text()
    shutil.rmtree(directory, ignore_errors=True)
    assert log.count("GET /ws/nothing/ HTTP/1.1") == 2, log
    assert SECRET not in log


@pytest.mark.parametrize("name", ["deploy/nginx.conf", "scaleout.sh"])
def test_nginx_logs_every_request_without_the_query(name: str) -> None:
    """The e-mail links carry single-use tokens in their query (``/verify-email/?token=``,
    ``/reset-password/?token=``, the invitations): every location's access line drops the query,
    not only the socket's — the ``http`` block's own ``access_log`` names the query-less format and
    no location or server overrides it with another."""
    text = _config(name)
    uncommented = "\n".join(line.split("#", 1)[0] for line in text.splitlines())
    formats = re.findall(r"access_log\s+\S+\s*(\w*)\s*;", uncommented)
    assert formats, "an access_log must be configured"
    assert set(formats) == {"augeo_noquery"}, f"every access_log must use augeo_noquery, not {formats}"
