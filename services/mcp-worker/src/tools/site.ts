import { z } from 'zod';
import { defineTool } from './define.js';

/** The fields of core_webservice_get_site_info this tool reads. */
interface RawSiteInfo {
  sitename?: string;
  siteurl?: string;
  release?: string;
  version?: string;
  lang?: string;
  userid?: number;
  username?: string;
  fullname?: string;
  functions?: { name: string; version?: string }[];
}

const output = z.object({
  siteName: z.string().describe('Name of the Moodle site.'),
  siteUrl: z.string().describe('Root URL of the site.'),
  release: z.string().nullable().describe('Moodle release, e.g. "4.5.2 (Build: 20250210)".'),
  user: z
    .object({
      id: z.number().int().describe('Moodle user id of the account this server acts as.'),
      username: z.string().nullable(),
      fullName: z.string().nullable(),
    })
    .describe("The Moodle account behind the server's token: every answer is what this account may see."),
  language: z.string().nullable().describe('Language code of that account.'),
  functions: z.array(z.string()).describe("Web service functions enabled for the server's token."),
});

export const getSiteInfo = defineTool({
  name: 'get_site_info',
  title: 'Moodle site and account',
  description:
    'Returns the Moodle site name, URL and release, the Moodle account this server acts as (its user id and name), ' +
    "and the web service functions enabled for the server's token. Use it first to check the connection, " +
    'to learn which account answers (so "my courses" means that account\'s courses), ' +
    'or to diagnose why another tool says a function is unavailable. Takes no arguments.',
  inputSchema: z.object({}),
  outputSchema: output,
  write: false,
  wsfunctions: ['core_webservice_get_site_info'],
  async run(_args, ctx) {
    const raw = await ctx.moodle.call<RawSiteInfo>('core_webservice_get_site_info', {}, { signal: ctx.signal });
    const functions = (raw.functions ?? []).map((f) => f.name).sort();
    const structured = {
      siteName: raw.sitename ?? '',
      siteUrl: raw.siteurl ?? '',
      release: raw.release ?? null,
      user: { id: raw.userid ?? 0, username: raw.username ?? null, fullName: raw.fullname ?? null },
      language: raw.lang ?? null,
      functions,
    };
    const text = [
      `${structured.siteName} (${structured.siteUrl})${structured.release ? `, Moodle ${structured.release}` : ''}`,
      `Acting as: ${structured.user.fullName ?? structured.user.username ?? 'unknown'} (user id ${structured.user.id})`,
      `${functions.length} web service functions enabled for this token.`,
    ].join('\n');
    return { text, structured };
  },
});
