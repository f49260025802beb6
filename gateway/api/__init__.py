"""HTTP and WebSocket routes, one module per resource; :mod:`gateway.api.deps` holds the typed
dependencies (the runtime, who is asking) every route uses."""
