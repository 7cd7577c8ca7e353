"""The TLS proxy serves the flag site over HTTPS with a certificate only its own authority vouches for."""

from __future__ import annotations

import ssl
import subprocess
import sys

import httpx
import pytest

from support.lab import flag_server, services, tls_proxy


@pytest.fixture(scope="module")
def proxied() -> tuple[services.Service, services.Service]:
    site = flag_server.start("plain", private=True)
    proxy = tls_proxy.start(site)
    yield site, proxy
    services.stop(proxy)
    services.stop(site)


async def test_the_same_bytes_through_https_as_through_http(proxied) -> None:
    site, proxy = proxied
    assert proxy.url.startswith("https://127.0.0.1:")
    async with httpx.AsyncClient() as plain, httpx.AsyncClient(verify=tls_proxy.client_context(proxy)) as tls:
        for path in ("/flags/br/br.gif", "/flags/br/metadata.json", "/flags/zz/zz.gif"):
            direct, through = await plain.get(site.url + path), await tls.get(proxy.url + path)
            assert (through.status_code, through.content) == (direct.status_code, direct.content)


async def test_a_client_that_does_not_trust_the_throwaway_authority_is_refused(proxied) -> None:
    _, proxy = proxied
    async with httpx.AsyncClient() as client:  # the usual public authorities only
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            await client.get(proxy.url + "/flags/br/br.gif")
    assert isinstance(tls_proxy.client_context(proxy), ssl.SSLContext)


def test_starting_twice_gives_the_same_proxy(proxied) -> None:
    site, proxy = proxied
    assert tls_proxy.start(site) is proxy


def test_usage_errors_exit_2() -> None:
    for args in (["--upstream", "http://example.org:80", "--ca-out", "x.pem"], ["--ca-out", "x.pem"]):
        done = subprocess.run(
            [sys.executable, "-m", "support.lab.tls_proxy", *args], capture_output=True, text=True, timeout=30
        )
        assert done.returncode == 2
        assert "Traceback" not in done.stderr
