"""A YAML loader for CloudFormation templates: short-form tags become their long-form mappings.

``!Sub "x-${AWS::Region}"`` loads as ``{"Fn::Sub": "x-${AWS::Region}"}``, ``!Ref Api`` as
``{"Ref": "Api"}``, ``!GetAtt Api.RootResourceId`` as ``{"Fn::GetAtt": ["Api", "RootResourceId"]}``.
Timestamps stay strings (``Version: 2012-10-17`` must not become a date).
"""

from __future__ import annotations

from typing import Any

import yaml

from gatewaysim.safeload import FILE_LIMITS, BoundedSafeLoader, Limits, load_yaml

__all__ = ["SHORT_FORMS", "CfnLoader", "load_cfn_yaml"]

SHORT_FORMS: dict[str, str] = {
    "Ref": "Ref",
    "Condition": "Condition",
    **{
        name: f"Fn::{name}"
        for name in (
            "Sub",
            "GetAtt",
            "Join",
            "If",
            "Select",
            "Split",
            "FindInMap",
            "Base64",
            "ImportValue",
            "Equals",
            "Not",
            "And",
            "Or",
            "GetAZs",
            "Cidr",
            "Length",
            "ToJsonString",
        )
    },
}
"""Short-form tag name -> long-form key."""


class CfnLoader(BoundedSafeLoader):
    """A bounded SafeLoader that knows CloudFormation's ``!Tag`` short forms (timestamps stay text)."""


def _construct_short_form(loader: yaml.SafeLoader, tag_suffix: str, node: yaml.Node) -> Any:
    name = SHORT_FORMS.get(tag_suffix)
    if name is None:
        raise yaml.constructor.ConstructorError(
            None, None, f"unknown CloudFormation tag `!{tag_suffix}`", node.start_mark
        )
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if name == "Fn::GetAtt":
            value = str(value).split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        assert isinstance(node, yaml.MappingNode)
        value = loader.construct_mapping(node, deep=True)
    return {name: value}


CfnLoader.add_multi_constructor("!", _construct_short_form)


def load_cfn_yaml(text: str, limits: Limits = FILE_LIMITS) -> Any:
    """Load YAML (or JSON, a subset) with CloudFormation's short-form tags expanded.

    Raises ``DocumentError`` (SECURITY: size, depth and alias limits of ``gatewaysim.safeload``).
    """
    return load_yaml(text, limits, CfnLoader)  # SECURITY: CfnLoader is a SafeLoader subclass
