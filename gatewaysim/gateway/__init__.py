"""The gateway room: the request path, in the order a request walks it.

``service.Gateway.run_stages`` is the whole path, one visible function:

1. ``dispatch``: which API (Host, ``/restapis/{id}/`` prefix, or the only one);
2. ``paths``: method and normalised path (one path is both judged and forwarded), known stage;
   the API's route table (``config.routes``) names the method;
3. ``identity``: ``RequestContext`` from the socket and the identity headers;
4. ``authorize``: the resource policy's pre-check, the method's authorizer, AWS's Tables A/B ->
   ``Verdict`` (``authorize.stage`` touches the live request, ``authorize.tables`` is pure);
5. the integration (``integrations``), streamed back;
6. ``responses``: every refusal as one gateway-response table; ``exchange`` keeps each stage's
   value for the access log and ``decision_events`` for the decision log (``observe``).

Beside the path: ``runtime`` (one API while serving), ``attached`` (its live policy), ``admin``
(``/_gatewaysim/``), ``control`` (AWS's management API, ``aws apigateway ...``), ``access`` (who may
use either), ``reload`` (hot reload), ``banner`` (what ``serve`` prints), ``runner``
(aiohttp's low-level server as a context manager) and ``gc_settings``. Each is given what it
needs; none imports ``service``.
"""
