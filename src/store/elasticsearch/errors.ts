import { errors } from '@elastic/elasticsearch';
import { ServiceError } from '../../util/errors.js';

/** The server's own reason for a failed request, e.g. `mapper_parsing_exception: failed to parse`. */
export function responseReason(err: errors.ResponseError): string {
  const body = err.body as {
    error?: { type?: string; reason?: string; root_cause?: { reason?: string }[] } | string;
  };
  if (typeof body?.error === 'string') return body.error;
  const cause = body?.error;
  if (!cause) return err.message;
  return [cause.type, cause.reason ?? cause.root_cause?.[0]?.reason].filter(Boolean).join(': ');
}

/**
 * Turns a client error into a ServiceError that says what failed and what to check.
 * `target` is the server address without credentials; `action` says what was attempted.
 */
export function toServiceError(err: unknown, action: string, target: string): ServiceError {
  if (err instanceof ServiceError) return err;
  const say = (message: string) => new ServiceError('elasticsearch', message, { cause: err });
  if (err instanceof errors.ResponseError) {
    const status = err.statusCode ?? 0;
    if (status === 401) {
      return say(
        `Elasticsearch at ${target} rejected the credentials (401) while trying to ${action}: check ELASTICSEARCH_API_KEY or ELASTICSEARCH_USERNAME / ELASTICSEARCH_PASSWORD`,
      );
    }
    if (status === 403) {
      return say(
        `Elasticsearch at ${target} refused to ${action} (403 forbidden): the API key or user lacks the privileges for it (${responseReason(err)})`,
      );
    }
    return say(`Elasticsearch could not ${action} (${status}): ${responseReason(err)}`);
  }
  if (err instanceof errors.ProductNotSupportedError) {
    return say(`the server at ${target} does not identify as Elasticsearch (cannot ${action})`);
  }
  if (err instanceof errors.TimeoutError) {
    return say(`Elasticsearch at ${target} did not answer in time (while trying to ${action})`);
  }
  if (err instanceof errors.ConnectionError || err instanceof errors.NoLivingConnectionsError) {
    const tlsHint = /certificate|self[- ]signed|SSL|TLS/i.test(err.message)
      ? ' (TLS: set ELASTICSEARCH_CA_CERT to the cluster CA, or ELASTICSEARCH_TLS_VERIFY=false for a test cluster)'
      : '';
    return say(`cannot reach Elasticsearch at ${target} to ${action}: ${err.message}${tlsHint}`);
  }
  const message = err instanceof Error ? err.message : String(err);
  return say(`Elasticsearch could not ${action}: ${message}`);
}

/** Transient failures worth another attempt: overload (429), server errors, lost connections. */
export function isRetryable(err: unknown): boolean {
  if (err instanceof errors.ResponseError) return err.statusCode === 429 || (err.statusCode ?? 0) >= 500;
  return err instanceof errors.ConnectionError || err instanceof errors.TimeoutError;
}

export const isNotFound = (err: unknown) => err instanceof errors.ResponseError && err.statusCode === 404;
