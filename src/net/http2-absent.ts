// Stands in for node:http2 in the bundled command (package.json "bundle" aliases it here). undici's
// HTTP/2 client requires node:http2 when it loads, which costs a one-off run some 15 ms of CPU, yet
// the transport never speaks h2 (its own TLS sockets offer only http/1.1 in ALPN, as a phone's
// do). undici already runs without the module: when the require throws it uses this same
// empty constants table (lib/dispatcher/client-h2.js).
export const constants = {};
