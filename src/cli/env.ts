/** Reading environment variables: unset and blank are the same. */
export type Env = Record<string, string | undefined>

export function nonEmpty (value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value
}

export function listEnv (value: string | undefined): string[] | undefined {
  return nonEmpty(value)?.split(',').map(s => s.trim()).filter(s => s.length > 0)
}

export function boolEnv (value: string | undefined): boolean | undefined {
  const text = nonEmpty(value)?.toLowerCase()
  if (text === undefined) return undefined
  return text !== '0' && text !== 'false' && text !== 'no'
}
