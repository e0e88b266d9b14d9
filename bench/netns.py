"""Network namespaces as stand-in hosts: each one a veth pair with a private /30 link to this machine and
nothing else (no default route), so a process inside reaches only the host end's address. Needs root and
`ip` (iproute2). Only the namespaces and links made here are ever removed."""

import ipaddress
import os
import re
import shutil
import subprocess
from dataclasses import dataclass

IP = shutil.which("ip") or "/usr/sbin/ip"
# The private block the links are carved from (/30 each); a /30 already on this machine is skipped.
BLOCK = ipaddress.ip_network("10.211.0.0/16")


@dataclass(frozen=True)
class Host:
    """One namespace: `name`, the host end of its link (`host_ip`, on this machine) and its own end (`ns_ip`)."""

    name: str
    host_link: str
    host_ip: str
    ns_ip: str

    def exec_argv(self, argv: list[str]) -> list[str]:
        """`argv` run inside the namespace."""
        return [IP, "netns", "exec", self.name, *argv]


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run([IP, *args], check=check, capture_output=True, text=True)


def available() -> str | None:
    """None when namespaces can be made here, else why not."""
    if os.geteuid() != 0:
        return "needs root (ip netns add)"
    if not os.path.exists(IP):
        return f"{IP} not found"
    probe = f"ssmsprobe{os.getpid()}"
    made = _ip("netns", "add", probe, check=False)
    if made.returncode != 0:
        return f"ip netns add failed: {made.stderr.strip()}"
    _ip("netns", "del", probe, check=False)
    return None


def _subnets_in_use() -> set[ipaddress.IPv4Network]:
    text = _ip("-4", "-o", "addr").stdout + _ip("-4", "route").stdout
    found = set()
    for match in re.finditer(r"\b(10\.211\.\d+\.\d+)(/\d+)?", text):
        found.add(ipaddress.ip_network(match.group(1) + (match.group(2) or "/32"), strict=False))
    return found


def _free_subnets(count: int) -> list[ipaddress.IPv4Network]:
    used = _subnets_in_use()
    free = []
    for subnet in BLOCK.subnets(new_prefix=30):
        if not any(subnet.overlaps(other) for other in used):
            free.append(subnet)
            if len(free) == count:
                return free
    raise RuntimeError(f"no {count} free /30 links left in {BLOCK}")


class Hosts:
    """`create(n)` makes n namespaces named `<tag>h<i>`; `close()` (also after a partial create) deletes every
    link and namespace it made."""

    def __init__(self, tag: str):
        self.tag = tag
        self.hosts: list[Host] = []
        self._namespaces: list[str] = []
        self._links: list[str] = []

    def create(self, count: int) -> list[Host]:
        for index, subnet in enumerate(_free_subnets(count)):
            host_ip, ns_ip = (str(address) for address in list(subnet.hosts())[:2])
            name, host_link, ns_link = f"{self.tag}h{index}", f"{self.tag}h{index}a", f"{self.tag}h{index}b"
            _ip("netns", "add", name)
            self._namespaces.append(name)
            _ip("link", "add", host_link, "type", "veth", "peer", "name", ns_link)
            self._links.append(host_link)
            _ip("link", "set", ns_link, "netns", name)
            _ip("addr", "add", f"{host_ip}/30", "dev", host_link)
            _ip("link", "set", host_link, "up")
            _ip("netns", "exec", name, IP, "addr", "add", f"{ns_ip}/30", "dev", ns_link)
            _ip("netns", "exec", name, IP, "link", "set", ns_link, "up")
            _ip("netns", "exec", name, IP, "link", "set", "lo", "up")
            self.hosts.append(Host(name=name, host_link=host_link, host_ip=host_ip, ns_ip=ns_ip))
        return self.hosts

    def close(self) -> None:
        """Delete the links (the namespace end goes with its peer) and the namespaces made; stop the processes
        running in them first."""
        while self._links:
            _ip("link", "del", self._links.pop(), check=False)
        while self._namespaces:
            _ip("netns", "del", self._namespaces.pop(), check=False)

    def left_behind(self) -> list[str]:
        """Namespaces and links of this tag still on the machine (empty after close())."""
        namespaces = _ip("netns", "list", check=False).stdout.split()
        links = re.findall(r"^\d+: ([^:@]+)", _ip("-o", "link", check=False).stdout, flags=re.MULTILINE)
        return [name for name in namespaces + links if name.startswith(self.tag)]
