/*
 * Characters a file name must not carry: C0 and C1 controls (ESC starts
 * terminal escape sequences, BEL rings, CR and LF forge lines), DEL, the
 * Unicode bidirectional controls (U+202E, "right-to-left override", makes
 * "gpj.exe" print as "exe.jpg") and the line and paragraph separators. A
 * share's names come from whoever made the link, and they end up in
 * terminals, file managers and logs; Veil refuses such names when sharing
 * and when fetching, rather than writing them to disk.
 */

const UNSAFE = /[\p{Cc}\p{Bidi_Control}\u2028\u2029]/u
const UNSAFE_ALL = /[\p{Cc}\p{Bidi_Control}\u2028\u2029]/gu

function codePoint (char: string): string {
  return 'U+' + char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')
}

/** The first control or bidirectional character in `name`, as "U+XXXX", or undefined. */
export function unsafeCharacter (name: string): string | undefined {
  const match = UNSAFE.exec(name)
  return match === null ? undefined : codePoint(match[0])
}

/**
 * `name` quoted for a message, with every such character spelled out as
 * <U+XXXX>, so printing it cannot reorder or colour the terminal.
 */
export function visibleName (name: string): string {
  return '"' + name.replace(UNSAFE_ALL, char => `<${codePoint(char)}>`) + '"'
}
