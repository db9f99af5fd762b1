"""The scenarios room: named requests with the outcome a policy must give them.

``files`` reads scenario files (``*.scenarios.yaml``) through the field parsers of ``fields``;
``http`` sends each scenario to a running gateway as a real request (``gatewaysim test --url``);
``report`` prints what was found, as a table or JSON.
"""
