// Terminal styling rules (clig.dev): colour only on a TTY, never with NO_COLOR (non-empty), TERM=dumb
// or --no-color. Decided once per stream, here, and passed to the renderers as plain booleans.

export interface TerminalStyle {
  /** ANSI colours allowed. */
  readonly color: boolean;
  /** The stream is an interactive terminal: live display allowed. */
  readonly tty: boolean;
}

export interface StyleFlags {
  /** commander's --no-color sets this to false. */
  color?: boolean;
}

export function terminalStyle(
  stream: { isTTY?: boolean },
  env: Readonly<Record<string, string | undefined>>,
  flags: StyleFlags = {},
): TerminalStyle {
  const tty = stream.isTTY === true;
  const dumb = env.TERM === 'dumb';
  const noColor = (env.NO_COLOR ?? '') !== '';
  return { tty: tty && !dumb, color: tty && !dumb && !noColor && flags.color !== false };
}

export const PLAIN: TerminalStyle = { color: false, tty: false };

const CODES = { red: 31, green: 32, yellow: 33, dim: 2, bold: 1 } as const;
export type Colour = keyof typeof CODES;

export function paint(style: TerminalStyle, colour: Colour, text: string): string {
  return style.color ? `\u001b[${CODES[colour]}m${text}\u001b[0m` : text;
}
