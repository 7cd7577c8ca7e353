"""Answers to the exercises of lesson 06: a web client, a TCP client over one session, a handler with a limit."""

from __future__ import annotations

import asyncio

import httpx

from support.exercises.async_servers import LONG_LINE, check_count_found_on, check_search_names, check_shout

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


async def _ask_in_turn(host: str, port: int, queries: list[str], counts: dict[str, int]) -> None:
    """One connection, its queries one after another, as the lesson's `session` does."""
    reader, writer = await asyncio.open_connection(host, port)
    try:
        await reader.readuntil(b"?> ")
        for query in queries:
            writer.write(query.encode() + b"\n")
            await writer.drain()
            while not (line := (await reader.readline()).decode().strip()).endswith(" found"):
                pass
            counts[query] = int(line.split()[-2])
            await reader.readuntil(b"?> ")
    finally:
        writer.close()
        await writer.wait_closed()


async def count_found_on(host: str, port: int, queries: list[str], connections: int) -> dict[str, int]:
    counts: dict[str, int] = {}
    async with asyncio.TaskGroup() as tg:
        for first in range(connections):
            tg.create_task(_ask_in_turn(host, port, queries[first::connections], counts))
    return counts


async def count_found_on_stub(host: str, port: int, queries: list[str], connections: int) -> dict[str, int]:
    # Your code here: `connections` connections at once, each sending its share of the queries in turn.
    ...


async def one_connection_per_query(
    host: str, port: int, queries: list[str], connections: int
) -> dict[str, int]:
    counts: dict[str, int] = {}
    async with asyncio.TaskGroup() as tg:
        for query in queries:  # a connection for every query: the limit is ignored
            tg.create_task(_ask_in_turn(host, port, [query], counts))
    return counts


async def one_connection_for_all(
    host: str, port: int, queries: list[str], connections: int
) -> dict[str, int]:
    counts: dict[str, int] = {}
    await _ask_in_turn(host, port, queries, counts)  # the lesson's session, as it was
    return counts


async def connections_in_turn(host: str, port: int, queries: list[str], connections: int) -> dict[str, int]:
    counts: dict[str, int] = {}
    for first in range(connections):  # three connections, but each waits for the one before
        await _ask_in_turn(host, port, queries[first::connections], counts)
    return counts


async def shares_one_connection(host: str, port: int, queries: list[str], connections: int) -> dict[str, int]:
    reader, writer = await asyncio.open_connection(host, port)
    counts: dict[str, int] = {}
    await reader.readuntil(b"?> ")

    async def ask(query: str) -> None:  # several of these read the one reader at the same time
        writer.write(query.encode() + b"\n")
        await writer.drain()
        while not (line := (await reader.readline()).decode().strip()).endswith(" found"):
            pass
        counts[query] = int(line.split()[-2])

    try:
        async with asyncio.TaskGroup() as tg:
            for query in queries:
                tg.create_task(ask(query))
    finally:
        writer.close()
        await writer.wait_closed()
    return counts


async def never_closes(host: str, port: int, queries: list[str], connections: int) -> dict[str, int]:
    counts: dict[str, int] = {}

    async def ask_in_turn(share: list[str]) -> None:
        reader, writer = await asyncio.open_connection(host, port)
        await reader.readuntil(b"?> ")
        for query in share:
            writer.write(query.encode() + b"\n")
            await writer.drain()
            while not (line := (await reader.readline()).decode().strip()).endswith(" found"):
                pass
            counts[query] = int(line.split()[-2])
            await reader.readuntil(b"?> ")
        # writer is dropped here; CPython would close it when collected: the check must not count on that

    async with asyncio.TaskGroup() as tg:
        for first in range(connections):
            tg.create_task(ask_in_turn(queries[first::connections]))
    return counts


async def counts_every_line(host: str, port: int, queries: list[str], connections: int) -> dict[str, int]:
    counts: dict[str, int] = {}

    async def ask_in_turn(share: list[str]) -> None:
        reader, writer = await asyncio.open_connection(host, port)
        await reader.readuntil(b"?> ")
        for query in share:
            writer.write(query.encode() + b"\n")
            await writer.drain()
            n = 0
            while True:
                n += 1  # the status line is counted too
                if (await reader.readline()).decode().strip().endswith(" found"):
                    break
            counts[query] = n
            await reader.readuntil(b"?> ")
        writer.close()
        await writer.wait_closed()

    async with asyncio.TaskGroup() as tg:
        for first in range(connections):
            tg.create_task(ask_in_turn(queries[first::connections]))
    return counts


async def blocking_socket(host: str, port: int, queries: list[str], connections: int) -> dict[str, int]:
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


async def forgets_the_newline(host: str, port: int, queries: list[str], connections: int) -> dict[str, int]:
    counts: dict[str, int] = {}

    async def ask_in_turn(share: list[str]) -> None:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            await reader.readuntil(b"?> ")
            for query in share:
                writer.write(query.encode())  # no newline: the server waits for the end of the line
                await writer.drain()
                while not (line := (await reader.readline()).decode().strip()).endswith(" found"):
                    pass
                counts[query] = int(line.split()[-2])
                await reader.readuntil(b"?> ")
        finally:
            writer.close()
            await writer.wait_closed()

    async with asyncio.TaskGroup() as tg:
        for first in range(connections):
            tg.create_task(ask_in_turn(queries[first::connections]))
    return counts


async def returns_list(host: str, port: int, queries: list[str], connections: int) -> list[int]:
    found = await count_found_on(host, port, queries, connections)
    return [found[q] for q in queries]


async def count_as_text(host: str, port: int, queries: list[str], connections: int) -> dict[str, str]:
    found = await count_found_on(host, port, queries, connections)
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


async def shouts_too_long(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while line := await reader.readline():
        text = line.decode().rstrip("\n")
        reply = ("too long" if len(text) > LONG_LINE else text).upper()  # the refusal upper-cased too
        writer.write(reply.encode() + b"\n")
        await writer.drain()
    writer.close()
    await writer.wait_closed()


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
        check_count_found_on,
        right=count_found_on,
        stub=count_found_on_stub,
        wrong=[
            Wrong(one_connection_per_query, "a connection for each query", "you opened 9 connections"),
            Wrong(one_connection_for_all, "one connection for every query", "open all of them"),
            Wrong(connections_in_turn, "three connections, one after another", "took turns"),
            Wrong(
                shares_one_connection,
                "several tasks read one connection",
                "two tasks read from one connection",
            ),
            Wrong(never_closes, "never closes its connections", "still open"),
            Wrong(counts_every_line, "counts the status line as a character", "one too many"),
            Wrong(blocking_socket, "a blocking socket in the coroutine", "`socket.create_connection` in it"),
            Wrong(forgets_the_newline, "sends each query without its newline", "a newline after the prompt"),
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
            Wrong(
                shouts_too_long,
                "upper-cases the refusal too",
                "expected the reply 'too long', got 'TOO LONG'",
            ),
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
