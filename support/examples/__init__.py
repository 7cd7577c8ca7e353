"""The chapter's programs, rewritten: each runs as ``python -m support.examples.<name> --help``.

- flag downloaders: ``flags`` (sequential), ``flags_threadpool``, ``flags_asyncio``, ``flags2`` (bounded,
  with error handling), ``flags3`` (two chained requests per flag), sharing ``flags_common``;
- ``blogdom``: probe domain names concurrently against the local DNS server;
- ``domainlib`` (``probe``, and ``multi_probe``, an async generator) and ``domaincheck``, its two-column CLI;
- the same three on Curio (Python 3.11 only): ``curio_blogdom``, ``curio_domainlib``, ``curio_domaincheck``;
- ``generator_scheduler``: the generator-only round-robin scheduler of lesson 01;
- ``hello_loop``: the smallest script that runs an event loop;
- ``charindex``, ``web_mojifinder``, ``tcp_mojifinder``: the character finder and its two servers, with
  ``tcp_mojifinder_hardened`` as the second step; ``crawl``: lesson 11's crawler.

Argument checks and exit statuses (0 all OK, 1 some failed, 2 usage error, 130 Ctrl-C) come from
:mod:`support.cli`.
"""
