"""The lab: local stand-ins for the internet, and how they start and stop.

- ``flag_server`` (with ``flag_data``): the flag image site, with slow and faulty modes, served through
  ``asgi_server`` (uvicorn with a header deadline, one log line when descriptors run out, quiet 400s);
- ``dns_server``: a DNS server over UDP, with ``probe`` and ``multi_probe`` clients;
- ``services``: start a server once, on 127.0.0.1 and a free port, and stop them all
  (``_supervised`` keeps a server from outliving the process that started it).

Nothing here imports an example: the lab is what the examples run against.
"""
