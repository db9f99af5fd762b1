"""The authorization stage: resource policy, authorizer and AWS's outcome tables -> ``Verdict``.

``tables`` is the workflow as data (pre-authorizer deny check, Tables A and B), pure and
synchronous; ``stage`` holds the parts that touch a live request: who the caller is per auth
type, the authorizer's input, the body it may need and the headers its answer adds.
"""
