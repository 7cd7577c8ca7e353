"""A TLS front door for a local HTTP server: ``https://127.0.0.1:<port>`` in front of ``http://127.0.0.1:<port>``.

Real sites answer over TLS, and a client pays for it in CPU time: a key exchange and certificate check for
every new connection, encryption for every byte. The lessons' servers speak plain HTTP, so this proxy stands in
front of one (as a load balancer would), decrypts what clients send and passes the bytes on unchanged.

Its certificate is made when it starts, by a throw-away certificate authority (``trustme``): nothing to
install, nothing trusted beyond this run. ``--ca-out FILE`` writes that authority's certificate, which is all a
client needs to verify the proxy (:func:`client_context`).

``python -m support.lab.tls_proxy --upstream http://127.0.0.1:8000 --ca-out ca.pem``; in a notebook,
``start(upstream_service)``. It prints ``Serving TLS proxy on https://127.0.0.1:<port>`` once it listens and
stops cleanly on SIGINT or SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import ssl
import sys
from pathlib import Path
from urllib.parse import urlsplit

from support.lab import services
from support.lab.services import Service
from support.paths import cache_root

__all__ = ["DEFAULT_PORT", "client_context", "main", "start"]

DEFAULT_PORT = 8443
_CHUNK = 64 * 1024


def _loopback_url(text: str) -> tuple[str, int]:
    parts = urlsplit(text)
    if parts.scheme != "http" or parts.port is None:
        raise argparse.ArgumentTypeError(f"expected http://127.0.0.1:PORT, not {text!r}")
    try:
        host = services.loopback_host(parts.hostname or "")
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return host, parts.port


def _port(text: str) -> int:
    port = int(text)
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"a port is 0 to 65535, not {text}")
    return port


def _host(text: str) -> str:
    try:
        return services.loopback_host(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m support.lab.tls_proxy",
        description="Serve HTTPS on 127.0.0.1 in front of a local plain-HTTP server, with a certificate made at start.",
    )
    parser.add_argument(
        "--upstream", type=_loopback_url, required=True, help="the plain server, http://127.0.0.1:PORT"
    )
    parser.add_argument("--ca-out", type=Path, required=True, help="write the CA certificate (PEM) here")
    parser.add_argument(
        "--host", type=_host, default="127.0.0.1", help="a loopback address (default 127.0.0.1)"
    )
    parser.add_argument(
        "--port", type=_port, default=DEFAULT_PORT, help=f"0 for a free port (default {DEFAULT_PORT})"
    )
    return parser


def _server_context(ca_out: Path) -> ssl.SSLContext:
    import trustme

    authority = trustme.CA()
    certificate = authority.issue_cert("127.0.0.1", "localhost")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    certificate.configure_cert(context)
    ca_out.parent.mkdir(parents=True, exist_ok=True)
    authority.cert_pem.write_to_path(str(ca_out))
    return context


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(_CHUNK):
            writer.write(data)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()  # the client finished sending: pass the half-close on
    except (ConnectionError, ssl.SSLError):
        pass  # either side vanished: the other direction ends too, below


async def _relay(
    upstream: tuple[str, int], client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter
) -> None:
    try:
        server_reader, server_writer = await asyncio.open_connection(*upstream)
    except OSError:
        client_writer.close()
        return
    try:
        await asyncio.gather(_pipe(client_reader, server_writer), _pipe(server_reader, client_writer))
    finally:
        for writer in (server_writer, client_writer):
            writer.close()
            with contextlib.suppress(ConnectionError, ssl.SSLError):
                await writer.wait_closed()


async def _serve(args: argparse.Namespace) -> None:
    context = _server_context(args.ca_out)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)

    async def relay(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _relay(args.upstream, reader, writer)

    server = await asyncio.start_server(relay, args.host, args.port, ssl=context, backlog=2048)
    port = server.sockets[0].getsockname()[1]
    print(f"Serving TLS proxy on https://{args.host}:{port}", flush=True)
    async with server:
        await stop.wait()


def main(argv: list[str] | None = None) -> int:
    """Serve until SIGINT or SIGTERM (exit 0); 1 if the port is taken; 2 on a usage error."""
    args = _parser().parse_args(argv)
    try:
        asyncio.run(_serve(args))
    except OSError as exc:
        print(f"tls_proxy: cannot serve on {args.host}:{args.port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    return 0


def _ca_file(upstream: Service) -> Path:
    return cache_root() / "tls" / f"ca-for-{upstream.port}.pem"


def start(upstream: Service) -> Service:
    """Run the proxy in front of ``upstream`` (a plain-HTTP service) on a free port; once per upstream."""
    return services.start(
        "support.lab.tls_proxy", "--upstream", upstream.url, "--ca-out", str(_ca_file(upstream))
    )


def client_context(proxy: Service) -> ssl.SSLContext:
    """An SSL context that trusts exactly the proxy's throw-away authority (hostname checked, as usual)."""
    ca_out = proxy.args[proxy.args.index("--ca-out") + 1]
    return ssl.create_default_context(cafile=ca_out)


if __name__ == "__main__":
    raise SystemExit(main())
