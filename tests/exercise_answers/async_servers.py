"""Answers to the exercises of lesson 05: a web client, a TCP client over one session, a handler with a limit."""

from __future__ import annotations

import asyncio

import httpx

from support.exercises.async_servers import LONG_LINE, check_count_found, check_search_names, check_shout

from . import Cases, Wrong

# --- exercise 1 ---------------------------------------------------------------------------------------------


async def search_names(client: httpx.AsyncClient, query: str) -> list[str]:
    response = await client.get("/search", params={"q": query})
    response.raise_for_status()
    return [item["name"] for item in response.json()]


async def search_names_stub(client: httpx.AsyncClient, query: str) -> list[str]:
    # Your code here: GET /search with the query, then keep each item's name.
    ...


async def pastes_query_into_url(client: httpx.AsyncClient, query: str) -> list[str]:
    response = await client.get(f"/search?q={query}")
    return [item["name"] for item in response.json()]


async def returns_items(client: httpx.AsyncClient, query: str) -> list[dict[str, str]]:
    response = await client.get("/search", params={"q": query})
    return response.json()


async def sorts_names(client: httpx.AsyncClient, query: str) -> list[str]:
    response = await client.get("/search", params={"q": query})
    return sorted(item["name"] for item in response.json())


async def forgets_await(client: httpx.AsyncClient, query: str) -> list[str]:
    return client.get("/search", params={"q": query})  # type: ignore[return-value]


async def returns_chars(client: httpx.AsyncClient, query: str) -> list[str]:
    response = await client.get("/search", params={"q": query})
    return [item["char"] for item in response.json()]


async def returns_response(client: httpx.AsyncClient, query: str) -> httpx.Response:
    return await client.get("/search", params={"q": query})


def not_async(client: httpx.AsyncClient, query: str) -> list[str]:
    return []


async def blocking_get(client: httpx.AsyncClient, query: str) -> list[str]:
    # httpx.get is the blocking client: right names, and a frozen loop while each answer comes
    response = httpx.get(client.base_url.join("/search"), params={"q": query})  # noqa: ASYNC210
    return [item["name"] for item in response.json()]


async def own_client_per_call(client: httpx.AsyncClient, query: str) -> list[str]:
    async with httpx.AsyncClient(base_url=client.base_url) as own:  # a new connection for every query
        response = await own.get("/search", params={"q": query})
    return [item["name"] for item in response.json()]


async def own_client_never_closed(client: httpx.AsyncClient, query: str) -> list[str]:
    own = httpx.AsyncClient(base_url=client.base_url)  # never closed: its connection stays open
    response = await own.get("/search", params={"q": query})
    return [item["name"] for item in response.json()]


# --- exercise 2 ---------------------------------------------------------------------------------------------


async def count_found(host: str, port: int, queries: list[str]) -> dict[str, int]:
    reader, writer = await asyncio.open_connection(host, port)
    counts = {}
    try:
        await reader.readuntil(b"?> ")
        for query in queries:
            writer.write(query.encode() + b"\n")
            await writer.drain()
            while True:
                line = (await reader.readline()).decode().strip()
                if line.endswith(" found"):
                    counts[query] = int(line.split()[-2])
                    break
            await reader.readuntil(b"?> ")
    finally:
        writer.close()
        await writer.wait_closed()
    return counts


async def count_found_stub(host: str, port: int, queries: list[str]) -> dict[str, int]:
    # Your code here: one connection, then for each query: send it, read up to the status line.
    ...


async def one_connection_per_query(host: str, port: int, queries: list[str]) -> dict[str, int]:
    counts = {}
    for query in queries:
        counts.update(await count_found(host, port, [query]))
    return counts


async def counts_every_line(host: str, port: int, queries: list[str]) -> dict[str, int]:
    reader, writer = await asyncio.open_connection(host, port)
    counts = {}
    await reader.readuntil(b"?> ")
    for query in queries:
        writer.write(query.encode() + b"\n")
        await writer.drain()
        n = 0
        while True:
            n += 1
            if (await reader.readline()).decode().strip().endswith(" found"):
                break
        counts[query] = n
        await reader.readuntil(b"?> ")
    writer.close()
    await writer.wait_closed()
    return counts


async def never_closes(host: str, port: int, queries: list[str]) -> dict[str, int]:
    reader, writer = await asyncio.open_connection(host, port)
    counts = {}
    await reader.readuntil(b"?> ")
    for query in queries:
        writer.write(query.encode() + b"\n")
        await writer.drain()
        while True:
            line = (await reader.readline()).decode().strip()
            if line.endswith(" found"):
                counts[query] = int(line.split()[-2])
                break
        await reader.readuntil(b"?> ")
    return (
        counts  # writer is dropped here; CPython would close it when collected, the check must not count that
    )


async def blocking_socket(host: str, port: int, queries: list[str]) -> dict[str, int]:
    import socket

    counts = {}
    with socket.create_connection((host, port)) as sock:  # blocking: the server on this loop never answers
        file = sock.makefile("rwb")
        for query in queries:
            file.write(query.encode() + b"\n")
            file.flush()
            while not (line := file.readline().decode()).strip().endswith(" found"):
                pass
            counts[query] = int(line.split()[-2])
    return counts


async def forgets_the_newline(host: str, port: int, queries: list[str]) -> dict[str, int]:
    reader, writer = await asyncio.open_connection(host, port)
    counts = {}
    try:
        await reader.readuntil(b"?> ")
        for query in queries:
            writer.write(query.encode())  # no newline: the server waits for the end of the line
            await writer.drain()
            while not (line := (await reader.readline()).decode().strip()).endswith(" found"):
                pass
            counts[query] = int(line.split()[-2])
            await reader.readuntil(b"?> ")
    finally:
        writer.close()
        await writer.wait_closed()
    return counts


async def returns_list(host: str, port: int, queries: list[str]) -> list[int]:
    found = await count_found(host, port, queries)
    return [found[q] for q in queries]


async def count_as_text(host: str, port: int, queries: list[str]) -> dict[str, str]:
    found = await count_found(host, port, queries)
    return {q: str(n) for q, n in found.items()}


# --- exercise 3 ---------------------------------------------------------------------------------------------


async def shout(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while line := await reader.readline():
        text = line.decode().rstrip("\r\n")
        reply = "too long" if len(text) > LONG_LINE else text.upper()
        writer.write(reply.encode() + b"\n")
        await writer.drain()
    writer.close()
    await writer.wait_closed()


async def shout_stub(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    # Your code here: read lines until the client is done; answer each; then close.
    ...


async def spins_at_end(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while True:
        line = await reader.readline()
        text = line.decode().rstrip("\n")
        reply = "too long" if len(text) > LONG_LINE else text.upper()
        writer.write(reply.encode() + b"\n")
        await writer.drain()


async def hangs_up_on_long_lines(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while line := await reader.readline():
        text = line.decode().rstrip("\n")
        if len(text) > LONG_LINE:
            break
        writer.write(text.upper().encode() + b"\n")
        await writer.drain()
    writer.close()
    await writer.wait_closed()


async def counts_the_newline(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while line := await reader.readline():
        reply = "too long" if len(line) > LONG_LINE else line.decode().strip().upper()
        writer.write(reply.encode() + b"\n")
        await writer.drain()
    writer.close()
    await writer.wait_closed()


async def leaves_it_open(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while line := await reader.readline():
        text = line.decode().rstrip("\n")
        reply = "too long" if len(text) > LONG_LINE else text.upper()
        writer.write(reply.encode() + b"\n")
        await writer.drain()
    # no close: the connection stays open until the client gives up


async def upper_cases_bytes(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while line := await reader.readline():
        line = line.rstrip(b"\r\n")
        writer.write((b"too long" if len(line) > LONG_LINE else line.upper()) + b"\n")  # "café" -> b"CAFé"
        await writer.drain()
    writer.close()
    await writer.wait_closed()


async def counts_bytes(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while line := await reader.readline():
        raw = line.rstrip(b"\r\n")
        reply = "too long" if len(raw) > LONG_LINE else raw.decode().upper()  # bytes, not characters
        writer.write(reply.encode() + b"\n")
        await writer.drain()
    writer.close()
    await writer.wait_closed()


async def forgets_the_reply_newline(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while line := await reader.readline():
        text = line.decode().strip()
        writer.write(("too long" if len(text) > LONG_LINE else text.upper()).encode())  # no b"\n"
        await writer.drain()
    writer.close()
    await writer.wait_closed()


async def answers_one_line(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    line = await reader.readline()  # one line, then goodbye
    text = line.decode().strip()
    writer.write(("too long" if len(text) > LONG_LINE else text.upper()).encode() + b"\n")
    await writer.drain()
    writer.close()
    await writer.wait_closed()


async def reads_to_the_end(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    data = await reader.read()  # waits for the end of input: nothing is answered before the client is done
    for line in data.decode().splitlines():
        writer.write(("too long" if len(line) > LONG_LINE else line.upper()).encode() + b"\n")
    await writer.drain()
    writer.close()


async def echoes(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while line := await reader.readline():
        text = line.decode().rstrip("\n")
        writer.write(("too long" if len(text) > LONG_LINE else text).encode() + b"\n")
        await writer.drain()
    writer.close()


async def decodes_wrong(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while line := await reader.readline():
        writer.write(line.upper() + "\n")  # type: ignore[operator]
        await writer.drain()
    writer.close()


CASES = [
    Cases(
        check_search_names,
        right=search_names,
        stub=search_names_stub,
        wrong=[
            Wrong(pastes_query_into_url, "puts the query into the URL unencoded", "params="),
            Wrong(returns_items, "returns the JSON items whole", "names only"),
            Wrong(sorts_names, "sorts the names alphabetically", "server's order"),
            Wrong(forgets_await, "forgets to await client.get", "forget `await`"),
            Wrong(returns_chars, "returns the characters", "return their names"),
            Wrong(returns_response, "returns the response object", "response itself"),
            Wrong(not_async, "writes a plain def", "async def"),
            Wrong(blocking_get, "httpx.get inside the coroutine", "httpx.get, a blocking call"),
            Wrong(
                own_client_per_call, "a new AsyncClient for every query", "an httpx.AsyncClient of its own"
            ),
            Wrong(own_client_never_closed, "an AsyncClient of its own, never closed", "of its own"),
        ],
    ),
    Cases(
        check_count_found,
        right=count_found,
        stub=count_found_stub,
        wrong=[
            Wrong(one_connection_per_query, "opens a connection for each query", "open one, before the loop"),
            Wrong(counts_every_line, "counts the status line as a character", "one too many"),
            Wrong(never_closes, "never closes the connection", "still open"),
            Wrong(returns_list, "returns a list of counts", "not list"),
            Wrong(count_as_text, "returns the counts as text", "as an int"),
            Wrong(blocking_socket, "a blocking socket in the coroutine", "`socket.create_connection` in it"),
            Wrong(forgets_the_newline, "sends each query without its newline", "a newline after the prompt"),
        ],
    ),
    Cases(
        check_shout,
        right=shout,
        stub=shout_stub,
        wrong=[
            Wrong(spins_at_end, "loops for ever at the end of input", "returns b'' at once"),
            Wrong(hangs_up_on_long_lines, "closes the connection on a long line", "keep the session going"),
            Wrong(counts_the_newline, "counts the newline in the length", "don't count the newline"),
            Wrong(leaves_it_open, "never closes the connection", "stayed open"),
            Wrong(echoes, "echoes without upper-casing", "upper case"),
            Wrong(decodes_wrong, "adds a str to bytes", "your code raised TypeError"),
            Wrong(upper_cases_bytes, "upper() on bytes: café comes back as CAFé", "changes only the ASCII"),
            Wrong(counts_bytes, "measures the line in bytes", "not its bytes"),
            Wrong(forgets_the_reply_newline, "answers without a newline", "came without its newline"),
            Wrong(answers_one_line, "answers one line, then closes", "returned after 1 line"),
            Wrong(reads_to_the_end, "reader.read() waits for the end of input", "reader.read() waits"),
        ],
    ),
]
