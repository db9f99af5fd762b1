"""The HTTP_PROXY integration: a streaming forwarder to the backend.

``forwarder`` owns the client session and one forward; ``stream`` relays the two bodies chunk
by chunk; ``headers`` applies API Gateway's header rules both ways; ``outgoing`` builds the
header set the backend gets; ``errors`` maps aiohttp's client errors onto gatewaysim's tree.
"""
