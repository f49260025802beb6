"""Everything that keeps a socket open: the live stream's admission and its two transports.

- :mod:`gateway.streams.admission`: every check a new stream passes (origin, token, filters,
  ``Last-Event-ID``, a slot), written once for SSE and the WebSocket;
- :mod:`gateway.streams.sse`: the SSE stream (an ASGI callable);
- :mod:`gateway.streams.websocket`: the WebSocket stream and its commands;
- :mod:`gateway.streams.front`: the front router that serves ``GET /api/events`` before FastAPI;
- :mod:`gateway.streams.hooks`: what pigw's server hands a stream through the scope, typed.

The routes (:mod:`gateway.api.events`, :mod:`gateway.api.ws`) only call these. How a stream is
admitted, which tasks it runs and how they start, race and end: ``docs/streams.md``.
"""
