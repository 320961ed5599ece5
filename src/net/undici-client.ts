// The part of undici the transport uses: one Client per origin, its request(), and the error classes.
// undici's index loads every dispatcher, fetch, WebSocket, cookies, EventSource and the mocks up front
// (measured: ~200-280 ms CPU against ~75-100 ms for these three files); a run needs none of that.
// undici publishes no "exports" map, so these files are reachable by path; the version is pinned by
// package-lock.json, and the build (tsc, then esbuild) fails if a release moves them.

import type { Client as UndiciClient, Dispatcher } from 'undici';
import ClientClass from 'undici/lib/dispatcher/client.js';
import errorClasses from 'undici/lib/core/errors.js';
import apiRequest from 'undici/lib/api/api-request.js';

export const Client = ClientClass;
export type Client = UndiciClient;
export const undiciErrors = errorClasses;

/** `client.request(options)` without the index, which is what adds request() to every dispatcher. */
export function requestThrough(client: UndiciClient, options: Dispatcher.RequestOptions): Promise<Dispatcher.ResponseData> {
  return apiRequest.call(client, options);
}
