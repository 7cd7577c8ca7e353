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
    _never_closed.append(writer)  # kept, so that the garbage collector does not close it either
    return counts


_never_closed: list[asyncio.StreamWriter] = []


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
    _left_open.append(writer)


_left_open: list[asyncio.StreamWriter] = []


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
        ],
    ),
]
