import type { IncomingMessage } from 'node:http';

export interface UploadedFile {
  /** Form field, e.g. `files[0]`. */
  field: string;
  name: string;
  contentType: string;
  bytes: Buffer;
}

export interface ParsedBody {
  /** The JSON body, or a multipart request's `payload_json`. */
  json: unknown;
  files: UploadedFile[];
}

/** Reads a REST request body the way Discord does: JSON, or multipart with `payload_json` and `files[n]`. */
export async function readBody(req: IncomingMessage): Promise<ParsedBody> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks);
  const type = req.headers['content-type'] ?? '';
  if (type.startsWith('multipart/form-data')) {
    const form = await new Response(raw, { headers: { 'content-type': type } }).formData();
    const files: UploadedFile[] = [];
    let json: unknown = undefined;
    for (const [field, value] of form.entries()) {
      if (typeof value === 'string') {
        if (field === 'payload_json') json = JSON.parse(value);
        continue;
      }
      files.push({
        field,
        name: value.name,
        contentType: value.type,
        bytes: Buffer.from(await value.arrayBuffer()),
      });
    }
    return { json, files };
  }
  if (raw.length === 0) return { json: undefined, files: [] };
  return { json: JSON.parse(raw.toString('utf8')), files: [] };
}
