import { EnvHttpProxyAgent, type Dispatcher } from 'undici';
import type { Config } from '../config/schema.js';

export type ProxySettings = Pick<Config, 'HTTPS_PROXY' | 'HTTP_PROXY' | 'NO_PROXY'>;

const agents = new Map<string, Dispatcher>();

/**
 * The connection pool for every request lookalike itself makes (downloads, the model hub), honouring the
 * standard proxy settings. It is passed to each request explicitly: undici's process-wide default is shared
 * with the other undici copies in the process (discord.js's, Elasticsearch's), and whichever loads first
 * would otherwise decide how everyone's requests are sent. One pool per distinct settings, kept for the
 * process's life.
 */
export function httpAgent(settings: ProxySettings): Dispatcher {
  const key = JSON.stringify([settings.HTTPS_PROXY, settings.HTTP_PROXY, settings.NO_PROXY]);
  let agent = agents.get(key);
  if (!agent) {
    // Unset values fall back to the lower-case variables (https_proxy, ...), as curl and undici read them.
    agent = new EnvHttpProxyAgent({
      ...(settings.HTTPS_PROXY && { httpsProxy: settings.HTTPS_PROXY }),
      ...(settings.HTTP_PROXY && { httpProxy: settings.HTTP_PROXY }),
      ...(settings.NO_PROXY && { noProxy: settings.NO_PROXY }),
    });
    agents.set(key, agent);
  }
  return agent;
}
