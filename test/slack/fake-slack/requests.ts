import { createHmac, randomUUID } from 'node:crypto';
import type { FakeSlack, Message, SlackFileObject } from './index.js';
import { messageObject } from './index.js';
import type { EnvelopeType } from './socket-mode.js';

/** How a request reached the app, and how fast it was acknowledged. */
export interface Delivery {
  status: number;
  /** Milliseconds from sending to the acknowledgement (HTTP response or socket ack). */
  ms: number;
  body: string;
}

type Kind = 'command' | 'interaction' | 'event';

/** How Slack hands requests to the app: signed HTTP POSTs, or Socket Mode envelopes. */
export interface Transport {
  deliver(kind: Kind, payload: Record<string, unknown>): Promise<Delivery>;
}

/** Slack's request signature: `v0=` + HMAC-SHA256 of `v0:<timestamp>:<body>` with the signing secret. */
export function sign(secret: string, timestamp: number, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

export interface HttpTampering {
  /** Seconds since the epoch to claim (default: now). */
  timestamp?: number;
  /** A signature to send instead of the right one. */
  signature?: string;
  /** More headers, e.g. Slack's `x-slack-retry-num` on a redelivery. */
  headers?: Record<string, string>;
}

/** Signed POSTs to the app's request URL, as Slack sends them in HTTP mode. */
export function httpTransport(url: string, signingSecret: string, tampering: HttpTampering = {}): Transport {
  return {
    async deliver(kind, payload) {
      const { body, contentType } = encode(kind, payload);
      const timestamp = tampering.timestamp ?? Math.floor(Date.now() / 1000);
      const started = performance.now();
      const response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': contentType,
          'x-slack-request-timestamp': String(timestamp),
          'x-slack-signature': tampering.signature ?? sign(signingSecret, timestamp, body),
          ...tampering.headers,
        },
        body,
      });
      const text = await response.text();
      return { status: response.status, ms: performance.now() - started, body: text };
    },
  };
}

const envelopeOf: Record<Kind, EnvelopeType> = {
  command: 'slash_commands',
  interaction: 'interactive',
  event: 'events_api',
};

/** Envelopes over the fake's Socket Mode connection; status 200 once the app acknowledged. */
export function socketTransport(fake: FakeSlack): Transport {
  return {
    async deliver(kind, payload) {
      const started = performance.now();
      const ack = await fake.socket.send(envelopeOf[kind], payload);
      return { status: 200, ms: performance.now() - started, body: JSON.stringify(ack.payload ?? {}) };
    },
  };
}

function encode(kind: Kind, payload: Record<string, unknown>): { body: string; contentType: string } {
  const form = 'application/x-www-form-urlencoded';
  switch (kind) {
    case 'command':
      return { body: new URLSearchParams(payload as Record<string, string>).toString(), contentType: form };
    case 'interaction':
      return {
        body: new URLSearchParams({ payload: JSON.stringify(payload) }).toString(),
        contentType: form,
      };
    case 'event':
      return { body: JSON.stringify(payload), contentType: 'application/json' };
  }
}

export interface Person {
  id: string;
  name: string;
  teamId: string;
}

/**
 * Someone using Slack: each method builds the payload Slack would send for that gesture (with a fresh
 * response URL) and delivers it through the transport.
 */
export class SlackUser {
  constructor(
    private readonly fake: FakeSlack,
    private readonly transport: Transport,
    readonly person: Person,
  ) {}

  /** `/find snowy mountain` typed in `channel`. */
  command(channel: string, command: string, text = ''): Promise<Delivery> {
    const team = this.team();
    return this.transport.deliver('command', {
      token: 'verification-token-unused',
      team_id: team.id,
      team_domain: team.domain,
      channel_id: channel,
      channel_name: this.fake.channel(channel).name,
      user_id: this.person.id,
      user_name: this.person.name,
      command,
      text,
      api_app_id: this.fake.appId,
      is_enterprise_install: 'false',
      response_url: this.fake.responseUrl(channel, this.person.id),
      trigger_id: randomUUID(),
    });
  }

  /** Presses the button `actionId` on a message the bot posted. */
  click(message: Message, actionId: string): Promise<Delivery> {
    const action = findButton(message.blocks, actionId);
    if (!action) throw new Error(`no button ${actionId} on that message`);
    return this.transport.deliver('interaction', {
      type: 'block_actions',
      ...this.interactionBase(message.channel),
      container: {
        type: 'message',
        message_ts: message.ts,
        channel_id: message.channel,
        is_ephemeral: false,
        ...(message.thread_ts ? { thread_ts: message.thread_ts } : {}),
      },
      message: messageObject(message),
      actions: [{ ...action, block_id: 'b', action_ts: `${Date.now() / 1000}` }],
      state: { values: {} },
    });
  }

  /** Runs the message shortcut `callbackId` on a message. */
  shortcut(message: Message, callbackId: string): Promise<Delivery> {
    return this.transport.deliver('interaction', {
      type: 'message_action',
      callback_id: callbackId,
      ...this.interactionBase(message.channel),
      message_ts: message.ts,
      message: messageObject(message),
      action_ts: `${Date.now() / 1000}`,
    });
  }

  /** Posts `@lookalike <text>` (with files) in `channel`; Slack sends the app an app_mention event. */
  mention(
    channel: string,
    text: string,
    files?: SlackFileObject[],
  ): { message: Message; delivery: Promise<Delivery> } {
    const message = this.fake.userMessage(
      channel,
      this.person.id,
      `<@${this.fake.botUserId}> ${text}`,
      files,
    );
    const team = this.team();
    const delivery = this.transport.deliver('event', {
      token: 'verification-token-unused',
      team_id: team.id,
      api_app_id: this.fake.appId,
      type: 'event_callback',
      event_id: `Ev${randomUUID().slice(0, 8)}`,
      event_time: Math.floor(Date.now() / 1000),
      authorizations: [
        {
          enterprise_id: null,
          team_id: team.id,
          user_id: this.fake.botUserId,
          is_bot: true,
          is_enterprise_install: false,
        },
      ],
      event: {
        type: 'app_mention',
        user: this.person.id,
        text: message.text,
        ts: message.ts,
        channel,
        event_ts: message.ts,
        team: team.id,
        ...(files ? { files } : {}),
      },
    });
    return { message, delivery };
  }

  private team() {
    const team = this.fake.options.teams.find((t) => t.id === this.person.teamId);
    if (!team) throw new Error(`no fake team ${this.person.teamId}`);
    return team;
  }

  private interactionBase(channel: string): Record<string, unknown> {
    const team = this.team();
    return {
      token: 'verification-token-unused',
      api_app_id: this.fake.appId,
      team: { id: team.id, domain: team.domain },
      user: { id: this.person.id, username: this.person.name, name: this.person.name, team_id: team.id },
      channel: { id: channel, name: this.fake.channel(channel).name },
      is_enterprise_install: false,
      response_url: this.fake.responseUrl(channel, this.person.id),
      trigger_id: randomUUID(),
    };
  }
}

/** A button on a message (section accessory or actions element) by its action id. */
export function findButton(blocks: unknown, actionId: string): Record<string, unknown> | undefined {
  if (!Array.isArray(blocks)) return undefined;
  for (const block of blocks as Record<string, unknown>[]) {
    const candidates = [block.accessory, ...((block.elements as unknown[] | undefined) ?? [])];
    for (const element of candidates as (Record<string, unknown> | undefined)[]) {
      if (element?.type === 'button' && element.action_id === actionId) return element;
    }
  }
  return undefined;
}
