import type { IncomingMessage } from 'node:http';

/** Arguments of a Web API call, whatever way the client sent them. */
export type ApiArgs = Record<string, unknown>;

/** Fields Slack takes as JSON inside a form body (the SDK JSON-encodes objects and arrays). */
const jsonFields = new Set(['blocks', 'attachments', 'files', 'metadata']);

export async function readRaw(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** A Web API request body: form-encoded (what the SDK sends), JSON, or multipart. */
export async function readArgs(req: IncomingMessage, raw: Buffer): Promise<ApiArgs> {
  const type = req.headers['content-type'] ?? '';
  if (type.startsWith('application/json'))
    return raw.length ? (JSON.parse(raw.toString('utf8')) as ApiArgs) : {};
  if (type.startsWith('multipart/form-data')) {
    const form = await new Response(raw, { headers: { 'content-type': type } }).formData();
    const args: ApiArgs = {};
    for (const [key, value] of form.entries()) {
      args[key] =
        typeof value === 'string' ? decodeField(key, value) : Buffer.from(await value.arrayBuffer());
    }
    return args;
  }
  const args: ApiArgs = {};
  for (const [key, value] of new URLSearchParams(raw.toString('utf8'))) args[key] = decodeField(key, value);
  return args;
}

/** The bytes of an upload POST: the raw body, or the first file of a multipart body. */
export async function uploadedBytes(req: IncomingMessage, raw: Buffer): Promise<Buffer> {
  const type = req.headers['content-type'] ?? '';
  if (!type.startsWith('multipart/form-data')) return raw;
  const form = await new Response(raw, { headers: { 'content-type': type } }).formData();
  for (const value of form.values()) {
    if (typeof value !== 'string') return Buffer.from(await value.arrayBuffer());
  }
  return Buffer.alloc(0);
}

function decodeField(key: string, value: string): unknown {
  if (!jsonFields.has(key)) return value;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}
