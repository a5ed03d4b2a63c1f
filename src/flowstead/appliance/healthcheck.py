"""The image's HEALTHCHECK: exit 0 when `/ready` on the web port answers 200, else 1.

`python -m flowstead.appliance.healthcheck` (slim images have no curl).
"""

from __future__ import annotations

import sys
import urllib.error
import urllib.request

from flowstead.settings import Settings


def main() -> int:
    settings = Settings.from_env()
    url = f"http://127.0.0.1:{settings.web_port}/ready"
    try:
        with urllib.request.urlopen(url, timeout=4) as reply:
            return 0 if reply.status == 200 else 1
    except (urllib.error.URLError, OSError) as exc:
        print(f"{url}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
