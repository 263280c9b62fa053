"""The official MCP Python SDK against a live `responder serve`, every
request signed with SigV4 (botocore) as API Gateway's AWS_IAM wants it.

Lists the tools, finds the approval the started investigation waits for,
approves it, and waits for the incident to be NOTIFIED. Exits non-zero,
naming the step, on any mismatch.

Usage: mcp_sigv4_client.py URL   (credentials in RESPONDER_ACCESS_KEY_ID,
RESPONDER_SECRET_ACCESS_KEY; region us-east-1)
"""

import asyncio
import os
import sys

import httpx2
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from mcp import Client
from mcp.client.streamable_http import streamable_http_client


class SigV4(httpx2.Auth):
    """Signs each request for service execute-api, body included."""

    requires_request_body = True

    def __init__(self, credentials, region):
        self.credentials = credentials
        self.region = region

    def auth_flow(self, request):
        signed = AWSRequest(
            method=request.method,
            url=str(request.url),
            data=request.content,
            headers={k: v for k, v in request.headers.items() if k.lower() != "connection"},
        )
        SigV4Auth(self.credentials, "execute-api", self.region).add_auth(signed)
        for name in ("Authorization", "X-Amz-Date", "X-Amz-Security-Token"):
            if name in signed.headers:
                request.headers[name] = signed.headers[name]
        yield request


def fail(step, detail):
    print(f"mcp client: {step}: {detail}", file=sys.stderr)
    sys.exit(1)


async def call(client, name, arguments):
    result = await client.call_tool(name, arguments)
    if result.is_error:
        fail(name, result.structured_content)
    return result.structured_content


async def main(url):
    credentials = Credentials(
        os.environ["RESPONDER_ACCESS_KEY_ID"], os.environ["RESPONDER_SECRET_ACCESS_KEY"]
    )
    async with httpx2.AsyncClient(auth=SigV4(credentials, "us-east-1"), timeout=30) as http:
        async with Client(streamable_http_client(url, http_client=http)) as client:
            tools = await client.list_tools()
            names = {t.name for t in tools.tools}
            for expected in ("list_incidents", "get_incident", "approve_incident", "query_history"):
                if expected not in names:
                    fail("tools/list", f"{expected} missing from {sorted(names)}")
            approvals = []
            for _ in range(60):
                approvals = (await call(client, "list_pending_approvals", {}))["approvals"]
                if approvals:
                    break
                await asyncio.sleep(0.5)
            if not approvals:
                fail("list_pending_approvals", "no approval appeared within 30 s")
            incident_id = approvals[0]["incident_id"]
            decided = await call(
                client, "approve_incident", {"incident_id": incident_id, "comment": "checked by the MCP client test"}
            )
            if decided["decision"] != "APPROVED":
                fail("approve_incident", decided)
            status = None
            for _ in range(60):
                view = await call(client, "get_incident", {"incident_id": incident_id})
                status = view["incident"]["status"]
                if status == "NOTIFIED":
                    break
                await asyncio.sleep(0.5)
            if status != "NOTIFIED":
                fail("get_incident", f"status {status}, expected NOTIFIED")
            rows = await call(client, "query_history", {"sql": "SELECT count(*) AS n FROM incident_history"})
            if rows["columns"] != ["n"]:
                fail("query_history", rows)
            print(
                f"mcp client: {len(names)} tools listed; {incident_id} approved and NOTIFIED "
                f"({len(view['deliveries'])} deliveries)"
            )


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
