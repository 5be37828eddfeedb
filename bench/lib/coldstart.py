#!/usr/bin/env python3
"""Cold start of a function binary: exec until its first answered GET /health.

    coldstart.py BINARY PORT RUNS

Starts BINARY (configured by the environment) RUNS times; each time polls 127.0.0.1:PORT from
this one process with a raw HTTP request every 0.2 ms until the answer is 200, then stops the
binary. Polling from here rather than by starting curl each time keeps the poller's own start
(several ms per curl) out of the figure. Prints the times in microseconds, one per line; exits
1 if the binary stops before answering or does not answer within 10 s.
"""
import socket
import subprocess
import sys
import time

REQUEST = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"


def answered(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
            s.sendall(REQUEST)
            return s.recv(12).startswith(b"HTTP/1.1 200")
    except OSError:
        return False


def main() -> int:
    binary, port, runs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    for _ in range(runs):
        start = time.perf_counter_ns()
        proc = subprocess.Popen([binary], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            while not answered(port):
                if proc.poll() is not None:
                    print(f"{binary} stopped before answering /health", file=sys.stderr)
                    return 1
                if time.perf_counter_ns() - start > 10_000_000_000:
                    print(f"{binary} did not answer /health within 10 s", file=sys.stderr)
                    return 1
                time.sleep(0.0002)
            print((time.perf_counter_ns() - start) // 1000, flush=True)
        finally:
            proc.kill()
            proc.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
