import { config as readDotenv } from 'dotenv';
import { secretKeys } from '../config/schema.js';

export type Redact = (text: string) => string;

const mask = '[redacted]';

/**
 * Shapes of credentials that are redacted wherever they appear, configured or not: an Authorization header's
 * value, Slack and Discord tokens, and the user:password part of a URL.
 */
const patterns: [RegExp, string][] = [
  [/\b(Basic|Bearer|ApiKey)(\s+)[A-Za-z0-9+/=._~-]{6,}/gi, `$1$2${mask}`],
  [/\bx(?:ox[abposre]|app)-[A-Za-z0-9-]{6,}/g, mask],
  [/\b[MNO][A-Za-z\d_-]{23,27}\.[\w-]{6}\.[\w-]{27,40}\b/g, mask],
  [/\b([a-z][a-z0-9+.-]*:\/\/)[^/\s:@'"<>]*:[^/\s@'"<>]*@/gi, `$1${mask}@`],
];

/** Every form in which a secret can travel: as is, URL-encoded, JSON-escaped, base64 (also as Basic auth). */
function encodings(secret: string, username: string | undefined): string[] {
  const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
  const forms = [
    secret,
    encodeURIComponent(secret),
    JSON.stringify(secret).slice(1, -1),
    b64(secret),
    b64(secret).replace(/=+$/, ''),
  ];
  if (username) forms.push(b64(`${username}:${secret}`), b64(`${username}:${secret}`).replace(/=+$/, ''));
  return forms;
}

/**
 * Redacts the configured secrets (tokens, keys, passwords: `secretKeys`) in all their encoded forms, and
 * anything shaped like a credential (see `patterns`), wherever it appears in a text.
 */
export function redactor(values: Partial<Record<string, unknown>>): Redact {
  const username =
    typeof values.ELASTICSEARCH_USERNAME === 'string' ? values.ELASTICSEARCH_USERNAME : undefined;
  const secrets = [
    ...new Set(
      secretKeys
        .map((key) => values[key])
        .filter((v): v is string => typeof v === 'string' && v.length >= 4)
        .flatMap((secret) => encodings(secret, username))
        .filter((form) => form.length >= 4),
    ),
  ].sort((a, b) => b.length - a.length); // longest first: a secret's base64 may contain a shorter secret
  return (text) => {
    let out = text;
    for (const secret of secrets) out = out.split(secret).join(mask);
    for (const [pattern, replacement] of patterns) out = out.replace(pattern, replacement);
    return out;
  };
}

/**
 * The redactor for paths that run before (or without) a valid configuration, such as the top-level error
 * printer: the secrets come straight from the environment and `.env`.
 */
export function redactorFromEnvironment(dotenvPath = '.env'): Redact {
  const env: Record<string, string | undefined> = { ...process.env };
  try {
    readDotenv({ path: dotenvPath, processEnv: env, quiet: true });
  } catch {
    // An unreadable .env: the environment's own secrets are still redacted.
  }
  return redactor(env);
}

/** A URL without its user:password part, for storing and showing (the credentials stay in no report or index). */
export function withoutCredentials(url: URL): URL {
  if (url.username === '' && url.password === '') return url;
  const copy = new URL(url.href);
  copy.username = '';
  copy.password = '';
  return copy;
}
