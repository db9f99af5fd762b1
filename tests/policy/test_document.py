"""Parsing: every shape error is reported, located by its JSON path, all at once."""

from __future__ import annotations

import json

import pytest

from gatewaysim.policy import PolicyError, parse_policy

API = "arn:aws:execute-api:us-east-1:123456789012:abcdef1234"


def statement(**fields: object) -> dict[str, object]:
    base: dict[str, object] = {"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "*"}
    base.update(fields)
    return {key: value for key, value in base.items() if value is not None}


def problems(document: object, **kwargs: object) -> list[str]:
    with pytest.raises(PolicyError) as info:
        parse_policy(document, **kwargs)  # type: ignore[arg-type]  # deliberately malformed input
    return [p.render() for p in info.value.problems]


def test_json_yaml_and_mapping_give_the_same_policy() -> None:
    doc = {"Version": "2012-10-17", "Statement": [statement(Sid="A")]}
    yaml_text = (
        "Version: '2012-10-17'\nStatement:\n  - Sid: A\n    Effect: Allow\n    Principal: '*'\n"
        "    Action: execute-api:Invoke\n    Resource: '*'\n"
    )
    parsed = [parse_policy(doc), parse_policy(json.dumps(doc)), parse_policy(yaml_text)]
    assert parsed[0] == parsed[1] == parsed[2]
    assert parsed[0].statements[0].sid == "A"


def test_single_statement_object_and_string_elements() -> None:
    policy = parse_policy({"Version": "2012-10-17", "Statement": statement()})
    (only,) = policy.statements
    assert only.action == ("execute-api:Invoke",) and only.resource == ("*",)


def test_versions() -> None:
    assert parse_policy({"Version": "2008-10-17", "Statement": []}).variables_enabled is False
    assert parse_policy({"Version": "2012-10-17", "Statement": []}).variables_enabled is True
    assert parse_policy({"Statement": []}).version == "2008-10-17"
    assert problems({"Version": "2019-01-01", "Statement": []}) == [
        "Version: `2019-01-01` is not a policy version (use `2012-10-17`)"
    ]


def test_shorthand_is_expanded_against_the_api_arn() -> None:
    doc = {"Version": "2012-10-17", "Statement": statement(Resource=["execute-api:/*", "execute-api:/prod/GET/pets"])}
    (only,) = parse_policy(doc, api_arn=API).statements
    assert only.resource == (f"{API}/*", f"{API}/prod/GET/pets")
    assert problems(doc) == [
        "Statement.Resource[0]: `execute-api:/*` uses the execute-api shorthand; give the API's ARN to expand it",
        "Statement.Resource[1]: `execute-api:/prod/GET/pets` uses the execute-api shorthand; "
        "give the API's ARN to expand it",
    ]


def test_issue_example_is_located() -> None:
    doc = {
        "Version": "2012-10-17",
        "Statement": [
            statement(),
            statement(Condition={"IpAddress": {"aws:SourceIp": ["203.0.113.0/33"]}}),
        ],
    }
    assert problems(doc) == ["Statement[1].Condition.IpAddress.aws:SourceIp[0]: `203.0.113.0/33` is not an IP range"]


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        (
            {"Version": "2012-10-17", "Statement": [], "Extra": 1},
            ["Extra: unknown element `Extra` (expected Version, Id, Statement)"],
        ),
        ({"Version": "2012-10-17"}, ["Statement: missing"]),
        (
            {"Version": "2012-10-17", "Statement": "x"},
            ["Statement: must be an object or a list of objects, not a string"],
        ),
        ({"Version": "2012-10-17", "Statement": [1]}, ["Statement[0]: must be an object, not a number"]),
        (
            {"Version": "2012-10-17", "Statement": [statement(Effect="allow")]},
            ["Statement[0].Effect: must be `Allow` or `Deny`, not `allow`"],
        ),
        (
            {"Version": "2012-10-17", "Statement": [statement(Effect=None)]},
            ["Statement[0].Effect: must be `Allow` or `Deny`, not `None`"],
        ),
        (
            {"Version": "2012-10-17", "Statement": [statement(NotAction="s3:*")]},
            ["Statement[0]: has both `Action` and `NotAction`; use one"],
        ),
        (
            {"Version": "2012-10-17", "Statement": [statement(Action=None)]},
            ["Statement[0]: needs `Action` or `NotAction`"],
        ),
        (
            {"Version": "2012-10-17", "Statement": [statement(NotResource="*")]},
            ["Statement[0]: has both `Resource` and `NotResource`; use one"],
        ),
        (
            {"Version": "2012-10-17", "Statement": [statement(Resource=None)]},
            ["Statement[0]: needs `Resource` or `NotResource`"],
        ),
        (
            {"Version": "2012-10-17", "Statement": [statement(NotPrincipal={"AWS": "111122223333"})]},
            ["Statement[0]: has both `Principal` and `NotPrincipal`; use one"],
        ),
        (
            {"Version": "2012-10-17", "Statement": [statement(Actions="x")]},
            ["Statement[0].Actions: unknown element `Actions` (did you mean `Action`?)"],
        ),
        (
            {"Version": "2012-10-17", "Statement": [statement(Action="Invoke")]},
            ["Statement[0].Action: `Invoke` is not an action (expected `service:Action`)"],
        ),
        ({"Version": "2012-10-17", "Statement": [statement(Action=[])]}, ["Statement[0].Action: must not be empty"]),
        (
            {"Version": "2012-10-17", "Statement": [statement(Resource="bucket")]},
            ["Statement[0].Resource: `bucket` is not an ARN or `*`"],
        ),
        (
            {"Version": "2012-10-17", "Statement": [statement(Condition={"StringEqualz": {"k": "v"}})]},
            ["Statement[0].Condition: unknown operator `StringEqualz` (did you mean `StringEquals`?)"],
        ),
        (
            {"Version": "2012-10-17", "Statement": [statement(Condition={"ForSomeValues:StringEquals": {"k": "v"}})]},
            [
                "Statement[0].Condition: unknown operator `ForSomeValues:StringEquals` "
                "(did you mean `ForAllValues:StringEquals`?)"
            ],
        ),
        (
            {"Version": "2012-10-17", "Statement": [statement(Condition={"NullIfExists": {"k": "true"}})]},
            ["Statement[0].Condition: unknown operator `NullIfExists` (did you mean `Null`?)"],
        ),
        (
            {"Version": "2012-10-17", "Statement": [statement(Condition={"NumericLessThan": {"k": "ten"}})]},
            ["Statement[0].Condition.NumericLessThan.k: `ten` is not a number"],
        ),
        (
            {"Version": "2012-10-17", "Statement": [statement(Condition={"DateLessThan": {"k": "tomorrow"}})]},
            ["Statement[0].Condition.DateLessThan.k: `tomorrow` is not an ISO 8601 date or epoch time"],
        ),
        (
            {"Version": "2012-10-17", "Statement": [statement(Condition={"Bool": {"k": "yes"}})]},
            ["Statement[0].Condition.Bool.k: `yes` is not `true` or `false`"],
        ),
        (
            {"Version": "2012-10-17", "Statement": [statement(Condition={"Null": {"k": "maybe"}})]},
            ["Statement[0].Condition.Null.k: `maybe` is not `true` or `false`"],
        ),
        (
            {"Version": "2012-10-17", "Statement": [statement(Condition={"BinaryEquals": {"k": "%%%"}})]},
            ["Statement[0].Condition.BinaryEquals.k: `%%%` is not base64"],
        ),
        (
            {"Version": "2012-10-17", "Statement": [statement(Condition={"IpAddress": {"aws:SourceIp": "${aws:x}"}})]},
            ["Statement[0].Condition.IpAddress.aws:SourceIp: `${aws:x}` is not an IP range"],
        ),
        (
            {"Version": "2012-10-17", "Statement": [statement(Condition={"StringEquals": {"k": "${}"}})]},
            [
                "Statement[0].Condition.StringEquals.k: `${}` is not a policy variable "
                "(expected `${key}` or `${key, 'default'}`)"
            ],
        ),
        (
            {"Version": "2012-10-17", "Statement": [statement(Condition={"StringEquals": {"k": {"a": 1}}})]},
            ["Statement[0].Condition.StringEquals.k: must be a string, number or boolean, not `{'a': 1}`"],
        ),
        (
            {"Version": "2012-10-17", "Statement": [statement(Condition={"StringEquals": "k"})]},
            ["Statement[0].Condition.StringEquals: must be an object of condition keys and values"],
        ),
        (
            {"Version": "2012-10-17", "Statement": [statement(Principal={"AWS": "arn:aws:iam::*:role/x"})]},
            ["Statement[0].Principal.AWS: `arn:aws:iam::*:role/x`: wildcards are not allowed inside a principal"],
        ),
        (
            {"Version": "2012-10-17", "Statement": [statement(Principal={"Users": "x"})]},
            [
                "Statement[0].Principal.Users: unknown principal type `Users` "
                "(expected AWS, Service, Federated, CanonicalUser)"
            ],
        ),
        (
            {"Version": "2012-10-17", "Statement": [statement(Principal="someone")]},
            ['Statement[0].Principal: must be `"*"` or an object like `{"AWS": "arn:..."}`'],
        ),
        (
            {"Version": "2012-10-17", "Statement": [statement(Principal={"AWS": "bob"})]},
            ["Statement[0].Principal.AWS: `bob` is not an account id or an IAM/STS principal ARN"],
        ),
    ],
)
def test_shape_errors(doc: dict[str, object], expected: list[str]) -> None:
    assert problems(doc) == expected


def test_all_problems_are_collected_and_the_message_names_the_source() -> None:
    doc = {"Version": "2012-10-17", "Statement": [statement(Effect="Maybe"), statement(Condition={"Nope": {"k": "v"}})]}
    with pytest.raises(PolicyError) as info:
        parse_policy(doc, source_name="api.json")
    assert str(info.value).splitlines() == [
        "policy `api.json`: Statement[0].Effect: must be `Allow` or `Deny`, not `Maybe`",
        "policy `api.json`: Statement[1].Condition: unknown operator `Nope`",
    ]
    assert isinstance(info.value, ValueError)


def test_text_that_is_neither_json_nor_yaml() -> None:
    assert problems("{not json") == [
        "not valid JSON or YAML: Expecting property name enclosed in double quotes at line 1, column 2"
    ]
    assert problems("[1, 2]") == ["a policy must be an object, not a list"]


def test_require_principal_for_resource_policies() -> None:
    doc = {"Version": "2012-10-17", "Statement": statement(Principal=None)}
    assert parse_policy(doc).statements[0].principal is None
    assert problems(doc, require_principal=True) == ["Statement: needs `Principal` or `NotPrincipal`"]


def test_numbers_and_booleans_in_conditions_become_strings() -> None:
    doc = {"Version": "2012-10-17", "Statement": statement(Condition={"NumericEquals": {"n": 5}, "Bool": {"b": True}})}
    specs = parse_policy(doc).statements[0].condition
    assert [s.values for s in specs] == [("5",), ("true",)]
