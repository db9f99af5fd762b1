"""The resource-policy linter behind ``gatewaysim check``: static checks that a policy does what it means
on AWS, for one API (``ApiContext``) and its methods (``MethodAuth``).

    from gatewaysim.lint.linter import ApiContext, lint_policy

    report = lint_policy(text, api=ApiContext("abcdef1234", "123456789012", "us-east-1", ("prod",)))
    report.ok, report.findings   # Finding(code, severity, path, message, fix)

The checks are the rows of ``CHECKS`` (``gatewaysim.lint.table``). A document that does not parse
gives one ``GS000`` error per problem; the linter itself never raises for a bad document.

The package itself imports nothing: the config's own checks read ``lint.findings`` without loading
the linter (``lint.linter``) and its checks.
"""
