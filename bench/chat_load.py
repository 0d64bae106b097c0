"""Chat load: many WebSocket clients in a few OS processes, measuring delivery latency.

Every message carries its sequence number and the time it was sent (``time.monotonic()``, one
clock for every process on the machine). Each client records, for every chat message it
receives, the delay since it was sent; a message the server accepted but a client never received
is lost. Senders take turns (round robin over ``senders`` clients) because the chat limits each
user to 8 messages per 5 seconds.

The WebSocket client is adapted from chat/tests/live_servers.py (no client library is
installed): RFC 6455 text frames, masked as a client must.
"""

import asyncio
import base64
import contextlib
import json
import multiprocessing
import os
import queue
import struct
import time

CONNECT_TIMEOUT = 20
CONNECT_ATTEMPTS = 5
MESSAGE_PREFIX = b'{"type": "message"'


class WebSocket:
    def __init__(self, reader, writer):
        self.reader, self.writer = reader, writer

    @classmethod
    async def connect(cls, port, path, cookie):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        key = base64.b64encode(os.urandom(16)).decode()
        head = (
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Origin: http://127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            f"Cookie: sessionid={cookie}\r\n\r\n"
        )
        writer.write(head.encode())
        await writer.drain()
        response = await reader.readuntil(b"\r\n\r\n")
        status = int(response.split()[1])
        if status != 101:
            writer.close()
            raise ConnectionError(f"handshake answered with HTTP {status}")
        return cls(reader, writer)

    def send_text(self, text, opcode=0x1):
        payload = text.encode() if isinstance(text, str) else text
        header = bytes([0x80 | opcode])
        length = len(payload)
        if length < 126:
            header += bytes([0x80 | length])
        else:
            header += bytes([0x80 | 126]) + struct.pack("!H", length)
        mask = os.urandom(4)
        masked = bytes(byte ^ mask[i % 4] for i, byte in enumerate(payload))
        self.writer.write(header + mask + masked)

    async def frame(self):
        """(opcode, payload) of the next frame (server frames are not masked)."""
        first, second = await self.reader.readexactly(2)
        length = second & 0x7F
        if length == 126:
            (length,) = struct.unpack("!H", await self.reader.readexactly(2))
        elif length == 127:
            (length,) = struct.unpack("!Q", await self.reader.readexactly(8))
        return first & 0x0F, await self.reader.readexactly(length)

    def close(self):
        with contextlib.suppress(OSError):
            self.send_text(struct.pack("!H", 1000), opcode=0x8)
        self.writer.close()


class Client:
    def __init__(self, index, port, path, cookie):
        self.index, self.port, self.path, self.cookie = index, port, path, cookie
        self.latencies = []
        self.seen = set()
        self.refused = 0
        self.closed = None
        self.socket = None

    async def read(self, run_id):
        tag = f"bench {run_id} "
        try:
            while True:
                opcode, payload = await self.socket.frame()
                now = time.monotonic()
                if opcode == 0x8:
                    self.closed = struct.unpack("!H", payload[:2])[0] if payload else 1005
                    return
                if opcode == 0x9:
                    self.socket.send_text(payload, opcode=0xA)
                    continue
                if payload.startswith(MESSAGE_PREFIX):
                    text = json.loads(payload)["message"]["text"]
                    if text.startswith(tag):
                        _, _, seq, sent = text.split(" ")
                        self.seen.add(int(seq))
                        self.latencies.append(now - float(sent))
                elif payload.startswith(b'{"type": "error"'):
                    self.refused += 1
        except (asyncio.IncompleteReadError, ConnectionError, OSError):
            self.closed = self.closed or 1006


async def run_clients(job, control, results):
    clients = [Client(*spec) for spec in job["clients"]]
    run_id = job["run_id"]
    readers = []
    errors = {}
    semaphore = asyncio.Semaphore(8)  # handshakes in flight per process

    async def connect(client):
        # Like the chat page, a client whose handshake fails tries again after a pause.
        for attempt in range(CONNECT_ATTEMPTS):
            async with semaphore:
                try:
                    client.socket = await asyncio.wait_for(
                        WebSocket.connect(client.port, client.path, client.cookie),
                        CONNECT_TIMEOUT,
                    )
                except (OSError, TimeoutError, asyncio.IncompleteReadError) as error:
                    errors[repr(error)[:80]] = errors.get(repr(error)[:80], 0) + 1
                    await asyncio.sleep(0.5 * (attempt + 1))
                    continue
            readers.append(asyncio.create_task(client.read(run_id)))
            return

    tasks = [asyncio.create_task(connect(client)) for client in clients]
    _, pending = await asyncio.wait(tasks, timeout=job["connect_seconds"])
    for task in pending:  # not in within the time allowed: counted as not connected
        task.cancel()
    connected = sum(1 for client in clients if client.socket is not None)
    results.put(("connected", job["worker"], connected, errors))
    loop = asyncio.get_running_loop()
    start, messages, interval, senders = await loop.run_in_executor(None, control.get)
    mine = {client.index: client for client in clients if client.socket is not None}
    # Each room (path) has its own senders: message k of a room is sent by its client
    # k % senders (indexes are per room), at start + k * interval.
    schedule = []
    for client in mine.values():
        room_index = client.index[1]
        if room_index < senders:
            schedule += [
                (start + k * interval, k, client) for k in range(room_index, messages, senders)
            ]
    schedule.sort(key=lambda item: item[0])
    sent = 0
    for when, seq, client in schedule:
        delay = when - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        frame = json.dumps({"type": "message", "text": f"bench {run_id} {seq} {time.monotonic()}"})
        client.socket.send_text(frame)
        sent += 1
    end = start + messages * interval
    await asyncio.sleep(max(end - time.monotonic(), 0) + job["drain"])
    for client in mine.values():
        client.socket.close()
    for task in readers:
        task.cancel()
    rooms = {}
    for client in mine.values():
        room = rooms.setdefault(client.path, {"clients": 0, "seen": []})
        room["clients"] += 1
        room["seen"].append(sorted(client.seen))
    results.put(
        (
            "done",
            job["worker"],
            {
                "sent": sent,
                "latencies": [value for client in mine.values() for value in client.latencies],
                "received": {path: room["seen"] for path, room in rooms.items()},
                "refused": sum(client.refused for client in mine.values()),
                "closed": sum(1 for client in mine.values() if client.closed),
            },
        )
    )


def worker(job, control, results):
    asyncio.run(run_clients(job, control, results))


def percentile(values, fraction):
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def run(
    rooms, ports, processes, messages, interval, senders, connect_seconds, drain=3.0, settle=None
):
    """Connect every client of ``rooms`` ({course_id: [session cookies]}), round robin over
    ``ports``, in ``processes`` OS processes; then send ``messages`` per room, one every
    ``interval`` seconds, round robin over ``senders`` clients of each room; return the figures.
    Clients not connected within ``connect_seconds`` are left out (and counted); ``settle``
    is called once they are in, before the first message, and returns the seconds it waited.
    """
    run_id = os.urandom(4).hex()
    specs = []
    position = 0
    for course_id, cookies in rooms.items():
        path = f"/ws/chat/room/{course_id}/"
        for room_index, cookie in enumerate(cookies):
            port = ports[position % len(ports)]
            specs.append(((course_id, room_index), port, path, cookie))
            position += 1
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    controls = [context.Queue() for _ in range(processes)]
    jobs = [
        {
            "worker": n,
            "run_id": run_id,
            "clients": specs[n::processes],
            "drain": drain,
            "connect_seconds": connect_seconds,
        }
        for n in range(processes)
    ]
    workers = [
        context.Process(target=worker, args=(job, control, results), daemon=True)
        for job, control in zip(jobs, controls, strict=True)
    ]
    connect_started = time.monotonic()
    for process in workers:
        process.start()
    try:
        connected = 0
        for _ in workers:
            _, _, count, errors = results.get(timeout=connect_seconds + 60)
            connected += count
            for error, times in errors.items():
                print(f"    {times} handshakes failed (then retried): {error}", flush=True)
        if len(reports_missing := [p for p in workers if not p.is_alive()]):
            raise RuntimeError(f"{len(reports_missing)} chat client processes died")
        connect_seconds = time.monotonic() - connect_started
        # Let the join announcements (presence) settle: the latency measured is that of
        # messages in a room everyone has joined, not of the joins.
        settled = settle() if settle else time.sleep(2)
        start = time.monotonic() + 1
        for control in controls:
            control.put((start, messages, interval, senders))
        reports = []
        deadline = time.monotonic() + messages * interval + drain + 60
        while len(reports) < len(workers) and time.monotonic() < deadline:
            try:
                reports.append(results.get(timeout=1)[2])
            except queue.Empty:
                if not any(process.is_alive() for process in workers):
                    break
    finally:
        for process in workers:
            process.join(timeout=5)
            if process.is_alive():
                process.terminate()
    latencies = [value for report in reports for value in report["latencies"]]
    per_room = {}
    for report in reports:
        for path, seen_lists in report["received"].items():
            per_room.setdefault(path, []).extend(seen_lists)
    sent = sum(report["sent"] for report in reports)
    # A message counts as accepted when at least one client of its room received it; every
    # other client of that room that did not receive it lost it.
    lost = 0
    delivered_messages = 0
    for seen_lists in per_room.values():
        union = set()
        for seen in seen_lists:
            union.update(seen)
        delivered_messages += len(union)
        lost += sum(len(union - set(seen)) for seen in seen_lists)
    return {
        "clients": len(specs),
        "connected": connected,
        "connect_seconds": connect_seconds,
        "settle_seconds": settled,
        "sent": sent,
        "delivered_messages": delivered_messages,
        "never_delivered": sent - delivered_messages,
        "deliveries": len(latencies),
        "lost": lost,
        "refused": sum(report["refused"] for report in reports),
        "closed": sum(report["closed"] for report in reports),
        "p50_ms": (percentile(latencies, 0.5) or 0) * 1000,
        "p99_ms": (percentile(latencies, 0.99) or 0) * 1000,
        "max_ms": max(latencies, default=0) * 1000,
        "reports": len(reports),
    }
