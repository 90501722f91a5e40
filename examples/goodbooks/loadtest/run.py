"""A tiny load test for goodbooks: N requests against a running server.

    python3 loadtest/run.py http://127.0.0.1:8080 200
"""
import sys
import time

import requests


def main() -> int:
    base = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8080"
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 100
    errors = 0
    start = time.monotonic()
    with requests.Session() as session:
        for _ in range(count):
            resp = session.get(f"{base}/books", timeout=5)
            if resp.status_code != 200:
                errors += 1
    took = time.monotonic() - start
    print(f"{count} requests in {took:.2f}s, {errors} errors")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
