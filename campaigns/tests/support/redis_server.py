"""A private `redis-server` in a subprocess, without persistence (`--save "" --appendonly no`) in a temporary
directory, on a free port of 127.0.0.1: the reliability tests restart it (`restart()`) and every key it held
(broker queues, unacknowledged messages, rate-limiter windows, locks) is gone, as after a real restart of a
Redis without persistence. The machine's shared Redis is never touched."""

import contextlib
import shutil
import socket
import subprocess
import tempfile
import time

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RedisServer:
    """`start()` returns once the server answers PING; `stop()` ends it (`SHUTDOWN NOSAVE`, SIGKILL when it
    does not answer); `restart()` is both on the same port."""

    def __init__(self, *, port: int | None = None):
        self.port = port or free_port()
        self.dir = tempfile.mkdtemp(prefix="redis-private-")
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        # No retries: a refused connection answers at once, and SHUTDOWN is not sent again to a server going down.
        return redis.Redis(
            host="127.0.0.1", port=self.port, socket_timeout=2, socket_connect_timeout=2, retry=Retry(NoBackoff(), 0)
        )

    def start(self, timeout_s: float = 10) -> "RedisServer":
        command = [
            shutil.which("redis-server") or "redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
            "--save", "", "--appendonly", "no", "--dir", self.dir, "--logfile", "redis.log",
        ]
        self.process = subprocess.Popen(command, cwd=self.dir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout_s
        while True:
            with contextlib.suppress(redis.RedisError), self.client() as client:
                if client.ping():
                    return self
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"redis-server did not start on port {self.port}")
            time.sleep(0.05)

    def stop(self, timeout_s: float = 10) -> None:
        """`SHUTDOWN NOSAVE` (nothing written, every key lost), SIGKILL if it does not end in time."""
        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(redis.RedisError), self.client() as client:
            client.shutdown(nosave=True)
        try:
            self.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout_s)

    def restart(self, *, down_s: float = 0) -> None:
        """Stop, stay down `down_s` seconds, start again on the same port with nothing in it."""
        self.stop()
        time.sleep(down_s)
        self.start()

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
