// The part of undici the transport uses: one Client per origin, its request(), and the error classes.
// undici's index loads every dispatcher, fetch, WebSocket, cookies, EventSource and the mocks up front
// (measured: ~200-280 ms CPU against ~75-100 ms for these three files); a run needs none of that.
// undici publishes no "exports" map, so these files are reachable by path; the version is pinned by
// package-lock.json and test/net/undici-client.test.ts fails if a release moves them.

import { createRequire } from 'node:module';
import type { Client as UndiciClient, Dispatcher, errors as UndiciErrors } from 'undici';

const require = createRequire(import.meta.url);

export const Client = require('undici/lib/dispatcher/client.js') as typeof UndiciClient;
export type Client = UndiciClient;
export const undiciErrors = require('undici/lib/core/errors.js') as typeof UndiciErrors;

type RequestFunction = (this: Dispatcher, options: Dispatcher.RequestOptions) => Promise<Dispatcher.ResponseData>;
const apiRequest = require('undici/lib/api/api-request.js') as RequestFunction;

/** `client.request(options)` without the index, which is what adds request() to every dispatcher. */
export function requestThrough(client: UndiciClient, options: Dispatcher.RequestOptions): Promise<Dispatcher.ResponseData> {
  return apiRequest.call(client, options);
}
