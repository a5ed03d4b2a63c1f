"""`EchoServer`: a loopback HTTP server for testing HTTP clients.

Any request gets back JSON describing it (method, path, query, headers, body), except:
`/bytes/<n>` streams n bytes chunked (`?length=1` declares a Content-Length instead),
`/status/<code>` answers with that status, `/redirect?to=<path>` answers 302, and
`/slow/<seconds>` waits that long before answering.
"""

from __future__ import annotations

from tests.fakes.base import BackgroundServer, Exchange


class EchoServer(BackgroundServer):
    def handle(self, exchange: Exchange) -> None:
        request = exchange.request
        head, _, arg = request.path.strip("/").partition("/")
        if head == "bytes":
            body = b"x" * int(arg)
            if request.query.get("length"):
                return exchange.send(200, body, "application/octet-stream")
            exchange.start_stream("application/octet-stream")
            for start in range(0, len(body), 1024):
                exchange.write(body[start : start + 1024])
            return exchange.end_stream()
        if head == "status":
            return exchange.send(int(arg), f"status {arg}".encode())
        if head == "redirect":
            return exchange.send(302, b"", headers={"Location": request.query.get("to", "/")})
        if head == "slow" and not exchange.pause(float(arg)):
            return exchange.drop()
        exchange.send_json(
            200,
            {
                "method": request.method,
                "path": request.path,
                "query": request.query,
                "headers": request.headers,
                "body": request.body.decode("utf-8", "replace"),
            },
        )
