import { Webhooks } from '@octokit/webhooks';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HangarError, ValidationError } from '../../errors.js';
import type { PullRequests } from '../../github/pull-requests.js';

/** Where GitHub sends the App's webhook deliveries; no bearer token, the signature instead. */
export const WEBHOOK_PATH = '/api/v1/github/webhooks';

// GitHub caps a delivery's payload at 25 MB.
const MAX_DELIVERY_BYTES = 25 * 1024 * 1024;

/** The webhook secret is not set: deliveries cannot be checked, so none is taken. */
class WebhooksOffError extends HangarError {
  constructor() {
    super(
      'webhooks_off',
      404,
      'This server takes no GitHub webhooks: the operator has not set HANGAR_GITHUB_WEBHOOK_SECRET (pull requests are polled instead).',
    );
  }
}

/** The delivery's signature does not match the webhook secret. */
class BadSignatureError extends HangarError {
  constructor() {
    super(
      'bad_signature',
      401,
      'The X-Hub-Signature-256 header does not sign this body with the webhook secret: check that the App and HANGAR_GITHUB_WEBHOOK_SECRET have the same secret.',
    );
  }
}

/**
 * `POST /api/v1/github/webhooks`: GitHub's deliveries for the App (pull_request,
 * check_run, check_suite, status, push), checked with X-Hub-Signature-256 and handled
 * once per X-GitHub-Delivery id. A repeated delivery is answered 200 and ignored.
 */
export function githubWebhookRoutes(secret: string | undefined, pullRequests: PullRequests) {
  const app = new Hono();
  const webhooks = secret ? new Webhooks({ secret }) : undefined;
  app.post(
    WEBHOOK_PATH,
    bodyLimit({
      maxSize: MAX_DELIVERY_BYTES,
      onError: () => {
        throw new HangarError(
          'too_large',
          413,
          `A delivery is at most ${MAX_DELIVERY_BYTES} bytes.`,
        );
      },
    }),
    async (c) => {
      if (!webhooks) throw new WebhooksOffError();
      const signature = c.req.header('x-hub-signature-256') ?? '';
      const id = c.req.header('x-github-delivery') ?? '';
      const event = c.req.header('x-github-event') ?? '';
      const body = await c.req.text();
      if (!signature || !(await webhooks.verify(body, signature).catch(() => false))) {
        throw new BadSignatureError();
      }
      if (!/^[A-Za-z0-9-]{1,100}$/.test(id)) {
        throw new ValidationError('must be the delivery id GitHub sends', 'X-GitHub-Delivery');
      }
      if (!/^[a-z_]{1,50}$/.test(event)) {
        throw new ValidationError('must be a GitHub event name', 'X-GitHub-Event');
      }
      let payload: unknown;
      try {
        payload = JSON.parse(body);
      } catch {
        throw new ValidationError('must be JSON (the App sends application/json)', 'body');
      }
      const handled = await pullRequests.handleDelivery(id, event, payload);
      return c.json({ delivery: id, duplicate: !handled }, 200);
    },
  );
  return app;
}
