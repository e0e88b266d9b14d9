"""`python -m bench.forward LISTEN=TARGET ...`: a TCP forwarder (each argument `host:port=host:port`), so that
processes in a network namespace reach PostgreSQL, Redis and the simulator, which listen on 127.0.0.1 only,
through the host's end of their veth link. Nothing about the servers' own configuration changes.

One asyncio loop, two copies per connection (client → target, target → client); a side that closes ends both.
Runs until SIGTERM/SIGINT."""

import asyncio
import signal
import sys

CHUNK = 256 * 1024


def _address(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(f"expected host:port, got {text!r}")
    return host, int(port)


def parse(pairs: list[str]) -> list[tuple[tuple[str, int], tuple[str, int]]]:
    """`[("10.211.1.1:5432=127.0.0.1:5432"), ...]` → [((listen host, port), (target host, port)), ...]."""
    routes = []
    for pair in pairs:
        listen, sep, target = pair.partition("=")
        if not sep:
            raise ValueError(f"expected LISTEN=TARGET, got {pair!r}")
        routes.append((_address(listen), _address(target)))
    return routes


async def _copy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(CHUNK):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        writer.close()


def _handler(target: tuple[str, int]):
    async def handle(client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        try:
            target_reader, target_writer = await asyncio.open_connection(*target)
        except OSError:
            client_writer.close()
            return
        await asyncio.gather(_copy(client_reader, target_writer), _copy(target_reader, client_writer))

    return handle


async def serve(routes) -> None:
    servers = [await asyncio.start_server(_handler(target), *listen, reuse_address=True) for listen, target in routes]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print("forwarding " + ", ".join(f"{a[0]}:{a[1]} -> {b[0]}:{b[1]}" for a, b in routes), flush=True)
    await stop.wait()
    for server in servers:
        server.close()


def main(argv: list[str]) -> int:
    try:
        routes = parse(argv)
    except ValueError as exc:
        print(f"bench.forward: {exc}", file=sys.stderr)
        return 2
    if not routes:
        print(__doc__, file=sys.stderr)
        return 2
    asyncio.run(serve(routes))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
