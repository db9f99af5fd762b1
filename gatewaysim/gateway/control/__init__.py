"""The AWS control plane: API Gateway's management API (``apigateway``) for the state gatewaysim holds.

``aws --endpoint-url http://127.0.0.1:8080 apigateway get-rest-apis``, boto3 with ``endpoint_url``,
Terraform's endpoints: served on the gateway's own port, beside the admin API, under AWS's paths.

* ``claims``: which requests are control-plane calls (all the gateway reads per request);
* ``operations``: every operation by name, and ``build``: the plane of one gateway, built on the
  first call ``claims`` gives it (a gateway nobody manages never loads the rest);
* ``plane``: who may make a call (the admin API's rule), dispatch;
* ``model``: botocore's ``apigateway`` service model and the routing its ``requestUri`` templates imply;
* ``wire``: the REST-JSON protocol, server side, through that model (input, output, AWS's errors);
* the operations, one module per resource: ``restapis``, ``stages``, ``resources`` (with methods,
  integrations and authorizers), ``responses`` (gateway responses), ``keys`` (API keys, usage
  plans), ``invoke`` (``test-invoke-method``, run in process: ``inprocess``);
* ``state``: what the operations read and change (the gateway's live ``ApiRuntime`` slots), stable ids;
* ``patch``, ``paging``: patch operations and ``position``/``limit`` as AWS reads them.

Nothing here imports ``gateway.service``: the gateway builds the plane (``operations.build``) and
hands it what it needs, including its own stage runner for ``test-invoke-method``.
"""
