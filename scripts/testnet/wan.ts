export async function wanScenario (_options: { fileMiB?: number, log?: (line: string) => void } = {}): Promise<unknown> {
  throw new Error('not built yet')
}
