// Prints the Slack app manifest generated from the bot's commands, or writes it to manifest.yml (--write).
// HTTP mode: --request-url https://your-host/slack/events (Socket Mode without it).
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { slackManifestYaml } from '../adapters/slack/manifest.js';
import { commands } from '../commands/index.js';

const { values } = parseArgs({
  options: { write: { type: 'boolean', default: false }, 'request-url': { type: 'string' } },
});
const requestUrl = values['request-url'];
if (requestUrl !== undefined && !/^https:\/\/\S+$/.test(requestUrl)) {
  console.error('--request-url must be an https URL, e.g. https://bot.example.com/slack/events');
  process.exit(2);
}
const text = slackManifestYaml(
  commands.map((c) => c.spec),
  requestUrl ? { requestUrl } : {},
);
if (values.write) {
  const file = path.resolve(import.meta.dirname, '..', 'manifest.yml');
  await writeFile(file, text);
  console.error(`wrote ${file}`);
} else {
  process.stdout.write(text);
}
