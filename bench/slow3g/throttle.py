#!/usr/bin/env python3
"""A slow mobile link between a browser and a server, for bench/slow3g/run.sh.

    python3 bench/slow3g/throttle.py --to 127.0.0.1:8080 [--down-kbps 400] [--up-kbps 400]
                                     [--rtt-ms 400] [--port 0]

Listens on 127.0.0.1 (a free port unless --port; the port is printed on stdout, one line) and
relays every TCP connection to --to, as one phone's link would carry it:

- one downlink and one uplink shared by all connections (the browser's page and its service
  worker compete for the same 400 kbit/s, as on a phone), each a queue that sends a chunk only
  when the previous one has left, at the link's rate;
- every chunk arrives half a round trip after it left;
- a new connection costs one round trip (the TCP handshake) before its first byte goes up.

Chromium's own network emulation (DevTools, CDP) slows the page's requests but not those of
the service worker, which downloads the whole handbook: this proxy slows both. It never looks
into the bytes, so it measures HTTP/1.1 and HTTP/2 alike. stdlib only.
"""

import argparse
import asyncio
import sys
import time

CHUNK = 1460  # one TCP segment's payload: the link sends in segments, not in whole responses


class Link:
    """One direction of the phone's link: a rate shared by every connection and a delay."""

    def __init__(self, kbps, one_way_s):
        self.bytes_per_s = kbps * 1000 / 8
        self.one_way_s = one_way_s
        self.free_at = 0.0  # when the link has sent everything queued so far
        self.sent = 0

    def schedule(self, n):
        """The time the next n bytes arrive at the other end, having waited their turn."""
        now = time.monotonic()
        start = max(now, self.free_at)
        self.free_at = start + n / self.bytes_per_s
        self.sent += n
        return self.free_at + self.one_way_s


async def pump(reader, writer, link, ready_at):
    """Relays reader -> writer through `link`, in order; nothing arrives before `ready_at`."""
    queue = asyncio.Queue()

    async def deliver():
        while True:
            item = await queue.get()
            if item is None:
                break
            at, data = item
            delay = at - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            writer.write(data)
            await writer.drain()
        if writer.can_write_eof():
            try:
                writer.write_eof()
            except OSError:
                pass

    task = asyncio.create_task(deliver())
    try:
        while True:
            data = await reader.read(64 * 1024)
            if not data:
                break
            for i in range(0, len(data), CHUNK):
                part = data[i:i + CHUNK]
                at = max(link.schedule(len(part)), ready_at)
                await queue.put((at, part))
    except (ConnectionError, OSError):
        pass
    await queue.put(None)
    try:
        await task
    except (ConnectionError, OSError):
        pass


async def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--to", required=True, help="HOST:PORT of the server")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--down-kbps", type=float, default=400)
    ap.add_argument("--up-kbps", type=float, default=400)
    ap.add_argument("--rtt-ms", type=float, default=400)
    a = ap.parse_args()
    host, port = a.to.rsplit(":", 1)
    rtt = a.rtt_ms / 1000
    down = Link(a.down_kbps, rtt / 2)
    up = Link(a.up_kbps, rtt / 2)

    async def handle(client_r, client_w):
        # The handshake takes a round trip; the request then leaves and arrives half of one later.
        first_up = time.monotonic() + rtt + rtt / 2
        try:
            server_r, server_w = await asyncio.open_connection(host, int(port))
        except OSError:
            client_w.close()
            return
        await asyncio.gather(
            pump(client_r, server_w, up, first_up),
            pump(server_r, client_w, down, 0.0),
        )
        for w in (client_w, server_w):
            w.close()

    server = await asyncio.start_server(handle, "127.0.0.1", a.port)
    print(server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
