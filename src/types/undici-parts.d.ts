// Types for the three undici files src/net/undici-client.ts imports by path (undici publishes types
// for its index only).
declare module 'undici/lib/dispatcher/client.js' {
  import type { Client } from 'undici';
  const ClientClass: typeof Client;
  export default ClientClass;
}
declare module 'undici/lib/core/errors.js' {
  import type { errors } from 'undici';
  const errorClasses: typeof errors;
  export default errorClasses;
}
declare module 'undici/lib/api/api-request.js' {
  import type { Dispatcher } from 'undici';
  const request: (this: Dispatcher, options: Dispatcher.RequestOptions) => Promise<Dispatcher.ResponseData>;
  export default request;
}
