/**
 * Checks: with the signed-in token, MCP `initialize`, `tools/list` and (optionally) `tools/call` work through the
 * gateway. Uses the MCP SDK's own client, loaded only here.
 */
import { errorMessage } from '../core/errors.js';
import { isSecureTransportUrl } from '../core/net.js';
import { parseWwwAuthenticate } from '../oauth/discovery.js';
import type { CheckResult } from './types.js';

export interface McpCheckInput {
  gatewayUrl: string;
  accessToken: string;
  callTool?: { name: string; args?: Record<string, unknown> };
  timeoutMs?: number;
}

interface LastRefusal {
  status: number;
  wwwAuthenticate?: string;
}

function explainRefusal(err: unknown, last: LastRefusal | undefined): { finding: string; fix?: string } {
  const msg = errorMessage(err);
  if (last && (last.status === 401 || last.status === 403)) {
    const www = last.wwwAuthenticate ? parseWwwAuthenticate(last.wwwAuthenticate) : undefined;
    const error = www?.params.error;
    const description = www?.params.error_description;
    const what = `HTTP ${last.status}${error ? ` ${error}` : ''}${description ? ` (${description})` : ''}`;
    if (last.status === 403 || error === 'insufficient_scope') {
      return {
        finding: `The gateway refused the token: ${what}.`,
        fix: `The token lacks a scope the gateway requires${www?.params.scope ? ` (${www.params.scope})` : ''}: add it to the client's scopes and sign in again.`,
      };
    }
    return {
      finding: `The gateway refused the token: ${what}.`,
      fix: 'The token does not satisfy the gateway\'s CUSTOM_JWT rules (audience, client, scopes, claims, issuer): see the token-claims check.',
    };
  }
  return { finding: msg };
}

export async function checkMcpCalls(input: McpCheckInput): Promise<CheckResult[]> {
  const init = { id: 'mcp-initialize', stage: 'calls', title: 'MCP initialize with the token' } as const;
  const list = { id: 'mcp-tools-list', stage: 'calls', title: 'MCP tools/list' } as const;
  const call = { id: 'mcp-tools-call', stage: 'calls', title: `MCP tools/call ${input.callTool?.name ?? ''}`.trim() } as const;
  const results: CheckResult[] = [];

  const [{ Client }, { StreamableHTTPClientTransport }] = await Promise.all([
    import('@modelcontextprotocol/sdk/client/index.js'),
    import('@modelcontextprotocol/sdk/client/streamableHttp.js'),
  ]);
  let last: LastRefusal | undefined;
  const recordingFetch: typeof fetch = async (url, init) => {
    // The bearer goes to the gateway only over https (or to this machine), wherever the SDK is told to go.
    const target = url instanceof Request ? url.url : String(url);
    if (!isSecureTransportUrl(target)) throw new Error(`Refusing to send the access token over plain http to ${new URL(target).host}, which is not this machine.`);
    const res = await fetch(url, init);
    if (!res.ok && (init?.method ?? 'GET') === 'POST') last = { status: res.status, wwwAuthenticate: res.headers.get('www-authenticate') ?? undefined };
    return res;
  };
  const transport = new StreamableHTTPClientTransport(new URL(input.gatewayUrl), {
    requestInit: { headers: { Authorization: `Bearer ${input.accessToken}` } },
    fetch: recordingFetch,
  });
  const client = new Client({ name: 'agentcore-auth-verify', version: '0.1.0' }, { capabilities: {} });
  const timeout = input.timeoutMs ?? 10_000;
  try {
    try {
      await client.connect(transport, { timeout });
      const server = client.getServerVersion();
      results.push({ ...init, status: 'pass', finding: `The gateway accepted the token${server ? ` (server ${server.name} ${server.version})` : ''}.`, details: { server } });
    } catch (err) {
      results.push({ ...init, status: 'fail', ...explainRefusal(err, last), details: { status: last?.status } });
      results.push({ ...list, status: 'skip', finding: 'Skipped: initialize failed.' });
      if (input.callTool) results.push({ ...call, status: 'skip', finding: 'Skipped: initialize failed.' });
      return results;
    }
    let toolNames: string[] = [];
    last = undefined;
    try {
      const { tools } = await client.listTools(undefined, { timeout });
      toolNames = tools.map((t) => t.name);
      results.push({
        ...list,
        status: 'pass',
        finding: `${tools.length} tool(s)${tools.length ? `: ${toolNames.slice(0, 8).join(', ')}${tools.length > 8 ? ', …' : ''}` : ' (the gateway has no targets yet)'}.`,
        details: { tools: toolNames },
      });
    } catch (err) {
      results.push({ ...list, status: 'fail', ...explainRefusal(err, last) });
    }
    if (input.callTool) {
      last = undefined;
      try {
        const res = await client.callTool({ name: input.callTool.name, arguments: input.callTool.args ?? {} }, undefined, { timeout });
        const text = Array.isArray(res.content)
          ? (res.content as Array<{ type?: string; text?: string }>).filter((c) => c.type === 'text' && c.text).map((c) => c.text).join(' ').replace(/\s+/g, ' ').trim().slice(0, 160)
          : '';
        results.push(
          res.isError
            ? { ...call, status: 'warn', finding: `The call reached the tool, which reported an error${text ? `: ${text}` : ''}.`, fix: 'Authorization works; check the tool\'s arguments or its target.' }
            : { ...call, status: 'pass', finding: `The tool answered${text ? `: ${text}${text.length >= 160 ? '…' : ''}` : '.'}` },
        );
      } catch (err) {
        results.push({ ...call, status: 'fail', ...explainRefusal(err, last), details: toolNames.length ? { tools: toolNames } : undefined });
      }
    }
    return results;
  } finally {
    await client.close().catch(() => undefined);
  }
}
