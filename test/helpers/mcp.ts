import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { RequestOptions } from '@modelcontextprotocol/sdk/shared/protocol.js';

/**
 * The MCP SDK's own Client, connected the way a teacher's assistant connects:
 * it launches `ncat [OPTIONS] HOST PORT` and speaks over its stdio. `ncatOptions`
 * e.g. `--ssl --ssl-verify --ssl-trustfile ca.pem` for the TLS port;
 * `initialize`: options of the initialize request (its timeout).
 */
export async function connectViaNcat(host: string, port: number, name = 'jest-client', ncatOptions: string[] = [], initialize?: RequestOptions): Promise<Client> {
  const client = new Client({ name, version: '1.0.0' });
  await client.connect(new StdioClientTransport({ command: 'ncat', args: [...ncatOptions, host, String(port)], stderr: 'pipe' }), initialize);
  return client;
}

/** The MCP SDK's own Client over Streamable HTTP (`url` ends in /mcp); the transport holds the session id. */
export async function connectViaHttp(url: string, name = 'jest-http-client'): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const client = new Client({ name, version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(url));
  await client.connect(transport);
  return { client, transport };
}

/** Text of the first content item of a tool result. */
export function resultText(result: unknown): string {
  const content = (result as { content?: { type: string; text?: string }[] }).content ?? [];
  return content.find((c) => c.type === 'text')?.text ?? '';
}
