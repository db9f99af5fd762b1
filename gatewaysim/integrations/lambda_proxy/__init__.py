"""The AWS_PROXY integration: Lambda functions behind a method, run locally or over HTTP.

* ``event`` builds the REST (v1) proxy event (spec 18.3, 18.4); ``answer`` reads the function's
  answer by AWS's proxy response contract (spec 18.1) and ``binary`` decides base64 (spec 18.7).
* Local Python handlers run in worker processes: ``worker`` is the child's main (stdlib only, so
  a cold start stays cheap), ``frames`` the pipe protocol both sides speak, ``environment`` what
  a worker's environment holds, ``process`` one worker seen from the gateway, ``pool`` the
  workers of one function (concurrency, cold/warm starts, recycling), ``watch`` restarts them
  when their code changes.
* ``remote`` invokes a function over Lambda's invoke API (the Runtime Interface Emulator's).
* ``host`` holds every function of the config; ``invoke`` is the integration itself.

This package's ``__init__`` imports nothing: the worker process imports it on its way to
``worker`` and must not pay for the gateway's modules.
"""
