"""AWS's SigV4 MCP proxy (`mcp-proxy-for-aws`, PyPI) in front of a live
`responder serve`, driven as a desktop client drives it: over stdio, with
the MCP Python SDK's stdio client (the proxy's own `mcp`).

Through the proxy: list the tools, call a read tool, read an incident
resource, get the triage prompt, approve the incident waiting for a
decision. Then with `--read-only`: only the tools annotated
`readOnlyHint: true` are listed. Exits non-zero, naming the step, on any
mismatch.

Usage: mcp_proxy_client.py PROXY URL   (credentials in
RESPONDER_ACCESS_KEY_ID, RESPONDER_SECRET_ACCESS_KEY; region us-east-1)
"""

import asyncio
import json
import os
import sys

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

READ_ONLY = {
    "list_incidents",
    "get_incident",
    "list_pending_approvals",
    "get_execution",
    "query_history",
    "incident_trends",
    "search_logs",
    "suggest_remediation",
    "analyze_alert",
    "analyze_incidents",
}


def fail(step, detail):
    print(f"mcp proxy: {step}: {detail}", file=sys.stderr)
    sys.exit(1)


def proxy(command, url, *flags):
    # The proxy signs with the AWS credential chain; it needs AWS_REGION in
    # its environment too when the host is not an AWS name.
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", "/tmp"),
        "AWS_ACCESS_KEY_ID": os.environ["RESPONDER_ACCESS_KEY_ID"],
        "AWS_SECRET_ACCESS_KEY": os.environ["RESPONDER_SECRET_ACCESS_KEY"],
        "AWS_REGION": "us-east-1",
    }
    args = [url, "--service", "execute-api", "--region", "us-east-1", "--disable-telemetry", *flags]
    return StdioServerParameters(command=command, args=args, env=env)


def structured(result, step):
    if result.isError:
        fail(step, result.content)
    if result.structuredContent is not None:
        return result.structuredContent
    return json.loads(result.content[0].text)


async def main(command, url):
    async with stdio_client(proxy(command, url)) as (read, write):
        async with ClientSession(read, write) as session:
            await session.initialize()
            tools = (await session.list_tools()).tools
            names = {t.name for t in tools}
            if not {"list_incidents", "approve_incident"} <= names:
                fail("tools/list", sorted(names))
            listed = structured(await session.call_tool("list_incidents", {"limit": 5}), "list_incidents")
            if not listed["incidents"]:
                fail("list_incidents", listed)
            approvals = []
            for _ in range(60):
                pending = await session.call_tool("list_pending_approvals", {})
                approvals = structured(pending, "list_pending_approvals")["approvals"]
                if approvals:
                    break
                await asyncio.sleep(0.5)
            if not approvals:
                fail("list_pending_approvals", "no approval appeared within 30 s")
            incident_id = approvals[0]["incident_id"]
            resource = await session.read_resource(f"incident://{incident_id}")
            if incident_id not in resource.contents[0].text:
                fail("resources/read", resource.contents[0].text[:200])
            prompt = await session.get_prompt("triage", {"incident_id": incident_id})
            if incident_id not in prompt.messages[0].content.text:
                fail("prompts/get", prompt.messages[0].content.text[:200])
            decided = structured(
                await session.call_tool(
                    "approve_incident", {"incident_id": incident_id, "comment": "approved through mcp-proxy-for-aws"}
                ),
                "approve_incident",
            )
            if decided["decision"] != "APPROVED":
                fail("approve_incident", decided)
    print(f"mcp proxy: {len(names)} tools, a read tool, a resource, the prompt; {incident_id} approved")

    async with stdio_client(proxy(command, url, "--read-only")) as (read, write):
        async with ClientSession(read, write) as session:
            await session.initialize()
            tools = (await session.list_tools()).tools
            listed = {t.name for t in tools}
            if any(not (t.annotations and t.annotations.readOnlyHint) for t in tools):
                fail("--read-only", f"a tool without readOnlyHint is listed: {sorted(listed)}")
            if not listed or not listed <= READ_ONLY or "approve_incident" in listed:
                fail("--read-only", sorted(listed))
    print(f"mcp proxy --read-only: {len(listed)} read-only tools of {len(names)}")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
