import { createRequire } from 'node:module';

/** The version in package.json (src/cli/, dist/cli/ and the bundle's dist/bundle/ all sit two levels below it). */
export function packageVersion(): string {
  return (createRequire(import.meta.url)('../../package.json') as { version: string }).version;
}
