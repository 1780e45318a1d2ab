export async function partitionScenario (_options: { log?: (line: string) => void } = {}): Promise<unknown> {
  throw new Error('not built yet')
}
