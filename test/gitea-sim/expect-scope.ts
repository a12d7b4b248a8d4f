// Gitea's refusal of a token that lacks the scope a route needs (CONTRACT §L.1 step 2), word
// for word, for the suites that check it on different routes.
import { expect } from 'vitest';
import type { ApiResponse } from './api-client.ts';

export function expectScopeRefused(res: ApiResponse, required: string, tokenScope: string): void {
  expect(res.status).toBe(403);
  expect(res.body).toMatchObject({
    message: `token does not have at least one of required scope(s), required=[${required}], token scope=${tokenScope}`,
  });
}
