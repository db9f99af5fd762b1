"""The integrations room: what runs after a request is authorized.

``http_proxy`` streams the request to an HTTP backend and its answer back (HTTP_PROXY). An
integration reads the request context and the authorizer's result; it never decides access.
"""
