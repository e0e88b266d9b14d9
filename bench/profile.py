"""`python -m bench.profile FILE [--top N] [--match TEXT]`: where the time goes in a py-spy collapsed-stack file
(written by `python -m bench --profile DIR`): functions by own samples and by inclusive samples."""

import argparse
import re
import signal
from collections import Counter
from pathlib import Path

_LINE = re.compile(r":\d+\)")


def _frame(frame: str) -> str:
    return _LINE.sub(")", frame.strip())


def summarise(path: Path, *, match: str = "") -> tuple[int, Counter, Counter]:
    """Total samples, own samples per function, inclusive samples per function (stacks containing `match`)."""
    own, inclusive, total = Counter(), Counter(), 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or (match and match not in stack):
            continue
        frames = [_frame(frame) for frame in stack.split(";")]
        total += int(count)
        own[frames[-1]] += int(count)
        for frame in set(frames):
            inclusive[frame] += int(count)
    return total, own, inclusive


def main() -> None:
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `| head` ends the output quietly
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--match", default="", help="only stacks containing this text (e.g. a function name)")
    args = parser.parse_args()
    total, own, inclusive = summarise(args.file, match=args.match)
    for title, counter in (("own", own), ("inclusive", inclusive)):
        print(f"\n{title} samples of {total}:")
        for frame, count in counter.most_common(args.top):
            print(f"{100 * count / max(total, 1):6.1f}%  {frame}")


if __name__ == "__main__":
    main()
