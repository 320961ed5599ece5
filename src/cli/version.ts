import { createRequire } from 'node:module';

/** The version in package.json (dist/cli/ and src/cli/ both sit two levels below it). */
export function packageVersion(): string {
  return (createRequire(import.meta.url)('../../package.json') as { version: string }).version;
}
