"""Answers a small PNG as base64 with isBase64Encoded (gatewaysim's tests)."""

import base64

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)


def lambda_handler(event, context):
    if event["httpMethod"] == "POST":  # echo what arrived: base64 or text
        return {"statusCode": 200, "body": event["body"] or "", "headers": {"X-Was-Base64": event["isBase64Encoded"]}}
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "image/png"},
        "body": base64.b64encode(PNG).decode("ascii"),
        "isBase64Encoded": True,
    }
