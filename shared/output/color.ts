// Colour only for people: off with NO_COLOR (any non-empty value), --no-color, or when not a terminal.
export function colorEnabled(env: NodeJS.ProcessEnv, noColorFlag: boolean, isTTY: boolean): boolean {
  if (noColorFlag) return false;
  if (env['NO_COLOR'] !== undefined && env['NO_COLOR'] !== '') return false;
  if (env['FORCE_COLOR'] !== undefined && env['FORCE_COLOR'] !== '0') return true;
  return isTTY && env['TERM'] !== 'dumb';
}

const CODES = { red: 31, green: 32, yellow: 33, blue: 34, magenta: 35, cyan: 36, gray: 90, bold: 1 } as const;
export type Color = keyof typeof CODES;

export type Painter = (color: Color, text: string) => string;

export function painter(enabled: boolean): Painter {
  return enabled ? (color, text) => `\u001b[${CODES[color]}m${text}\u001b[${color === 'bold' ? 22 : 39}m` : (_c, text) => text;
}

/** Length of a string as shown, without colour escapes (for aligning columns). */
export function visibleLength(s: string): number {
  return s.replace(/\u001b\[[0-9;]*m/g, '').length;
}
