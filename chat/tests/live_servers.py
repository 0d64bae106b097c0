"""Real server processes for the chat tests: daphne, a throwaway redis-server, and a minimal
RFC 6455 WebSocket client on asyncio streams (no client library is installed, and the test must
speak to the servers over TCP exactly as a browser would).
"""

import asyncio
import base64
import contextlib
import hashlib
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DAPHNE = Path(sys.executable).with_name("daphne")
START_TIMEOUT = 40  # seconds for a daphne process to import Django and Wagtail and listen
FRAME_TIMEOUT = 5
WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port, process, log, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the process on port {port} exited:\n{read_log(log)}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on port {port} after {timeout} s:\n{read_log(log)}")


def read_log(path):
    try:
        return Path(path).read_text(errors="replace")[-30000:]
    except OSError:
        return "(no log)"


def stop(process):
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


# --- redis-server --------------------------------------------------------------------------------
REDIS_SERVER = shutil.which("redis-server")


class ThrowawayRedis:
    """A private redis-server on a free port, without persistence; stop() and start() again on
    the same port to simulate an outage, pause() and resume() to simulate a stuck server."""

    def __init__(self, directory):
        self.port = free_port()
        self.directory = Path(directory)
        self.log = self.directory / f"redis-{self.port}.log"
        self.process = None

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        command = [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no", "--dir", str(self.directory)]
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        wait_for_port(self.port, self.process, self.log, 10)

    def stop(self):
        if self.process is not None:
            self.resume()  # a paused server cannot end
            stop(self.process)
            self.process = None

    def pause(self):
        """Freeze the server (SIGSTOP): its port still accepts connections, nothing answers,
        as a server swapping, stuck on a disk or behind a dropped network looks."""
        self.process.send_signal(signal.SIGSTOP)

    def resume(self):
        self.process.send_signal(signal.SIGCONT)


# --- daphne --------------------------------------------------------------------------------------
@contextmanager
def daphne_servers(count, env, directory):
    """``count`` daphne processes serving config.asgi on free ports; yields the ports."""
    processes, ports = [], []
    try:
        for n in range(count):
            port = free_port()
            log = Path(directory) / f"daphne-{n}.log"
            with open(log, "wb") as out:
                processes.append(
                    (
                        subprocess.Popen(
                            [str(DAPHNE), "-b", "127.0.0.1", "-p", str(port)]
                            + ["config.asgi:application"],
                            cwd=REPO,
                            env=env,
                            stdout=out,
                            stderr=subprocess.STDOUT,
                        ),
                        log,
                    )
                )
            ports.append(port)
        for port, (process, log) in zip(ports, processes, strict=True):
            wait_for_port(port, process, log, START_TIMEOUT)
        yield ports
    finally:
        for process, _ in processes:
            stop(process)


def server_env(database_url, redis_url, redis_prefix, directory):
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTEST", "DJANGO_", "DATABASE_", "REDIS_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.test",
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        LEARNING_TEST_REDIS_PREFIX=redis_prefix,
        PYTHONUNBUFFERED="1",
        NOTIFICATIONS_LIVE="1",  # daphne takes WebSockets
        TMPDIR=str(directory),  # the test settings make temporary media and static folders
    )
    return env


async def http_get(port, path):
    """(status, body) of a plain HTTP/1.0 GET."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(f"GET {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
        await writer.drain()
        response = await asyncio.wait_for(reader.read(), FRAME_TIMEOUT * 2)
    finally:
        writer.close()
    head, _, body = response.partition(b"\r\n\r\n")
    return int(head.split()[1]), body.decode(errors="replace")


# --- a WebSocket client --------------------------------------------------------------------------
class HandshakeRefused(Exception):
    def __init__(self, status):
        super().__init__(f"the server answered the handshake with HTTP {status}")
        self.status = status


class WebSocket:
    """Text frames only, masked as a client must; answers pings; reports the close code."""

    def __init__(self, reader, writer):
        self.reader, self.writer = reader, writer
        self.close_code = None

    @classmethod
    async def connect(cls, port, path, cookie=None):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        key = base64.b64encode(os.urandom(16)).decode()
        lines = [
            f"GET {path} HTTP/1.1",
            f"Host: 127.0.0.1:{port}",
            f"Origin: http://127.0.0.1:{port}",
            "Upgrade: websocket",
            "Connection: Upgrade",
            f"Sec-WebSocket-Key: {key}",
            "Sec-WebSocket-Version: 13",
        ]
        if cookie:
            lines.append(f"Cookie: {cookie}")
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
        await writer.drain()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), FRAME_TIMEOUT)
        status = int(head.split()[1])
        if status != 101:
            writer.close()
            raise HandshakeRefused(status)
        accept = base64.b64encode(hashlib.sha1((key + WS_GUID).encode()).digest()).decode()
        assert f"sec-websocket-accept: {accept}".lower().encode() in head.lower(), head
        return cls(reader, writer)

    async def _send_frame(self, opcode, payload):
        header = bytes([0x80 | opcode])
        length = len(payload)
        if length < 126:
            header += bytes([0x80 | length])
        elif length < 1 << 16:
            header += bytes([0x80 | 126]) + struct.pack("!H", length)
        else:
            header += bytes([0x80 | 127]) + struct.pack("!Q", length)
        mask = os.urandom(4)
        masked = bytes(byte ^ mask[i % 4] for i, byte in enumerate(payload))
        self.writer.write(header + mask + masked)
        await self.writer.drain()

    async def send(self, frame):
        await self._send_frame(0x1, json.dumps(frame).encode())

    async def _read_frame(self):
        first, second = await self.reader.readexactly(2)
        opcode, length = first & 0x0F, second & 0x7F
        if length == 126:
            (length,) = struct.unpack("!H", await self.reader.readexactly(2))
        elif length == 127:
            (length,) = struct.unpack("!Q", await self.reader.readexactly(8))
        mask = await self.reader.readexactly(4) if second & 0x80 else None
        payload = await self.reader.readexactly(length)
        if mask:
            payload = bytes(byte ^ mask[i % 4] for i, byte in enumerate(payload))
        return bool(first & 0x80), opcode, payload

    async def receive(self, timeout=FRAME_TIMEOUT):
        """The next JSON frame, or None once the server has closed (see ``close_code``)."""
        message = b""
        while True:
            try:
                fin, opcode, payload = await asyncio.wait_for(self._read_frame(), timeout)
            except asyncio.IncompleteReadError:
                self.close_code = self.close_code or 1006  # dropped without a close frame
                return None
            if opcode == 0x8:
                self.close_code = struct.unpack("!H", payload[:2])[0] if payload else 1005
                with contextlib.suppress(OSError):  # echo the close, as RFC 6455 asks
                    await self._send_frame(0x8, payload[:2])
                return None
            if opcode == 0x9:
                await self._send_frame(0xA, payload)
                continue
            if opcode in (0x1, 0x0):
                message += payload
                if fin:
                    return json.loads(message)

    async def expect(self, kind, timeout=FRAME_TIMEOUT):
        """The next frame of this kind (others, such as presence updates, are skipped)."""
        deadline = time.monotonic() + timeout
        while True:
            frame = await self.receive(max(deadline - time.monotonic(), 0.01))
            assert frame is not None, f"closed with {self.close_code} while waiting for {kind}"
            if frame["type"] == kind:
                return frame

    async def close(self):
        try:
            if self.close_code is None and not self.writer.is_closing():
                await self._send_frame(0x8, struct.pack("!H", 1000))
                self.close_code = 1000
                with contextlib.suppress(TimeoutError):
                    while await self._read_frame_or_none() is not None:
                        pass
        except OSError:
            pass
        finally:
            self.writer.close()

    async def _read_frame_or_none(self):
        """The next frame until the server's close (or the end of the stream) arrives."""
        try:
            _, opcode, _ = await asyncio.wait_for(self._read_frame(), 2)
        except asyncio.IncompleteReadError:
            return None
        return None if opcode == 0x8 else opcode


def message_with(text):
    return lambda frame: frame["type"] == "message" and frame["message"]["text"] == text


async def until(socket, accept, timeout=5):
    """The first frame ``accept`` returns true for, skipping the others."""
    deadline = time.monotonic() + timeout
    while True:
        frame = await socket.receive(max(deadline - time.monotonic(), 0.01))
        assert frame is not None, f"closed with {socket.close_code}"
        if accept(frame):
            return frame
